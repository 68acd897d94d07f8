// MPI_Allreduce latency between local processes (bench/allreduce.sh; OpenMPI, not a bellman dependency).
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank, size; MPI_Comm_rank(MPI_COMM_WORLD, &rank); MPI_Comm_size(MPI_COMM_WORLD, &size);
  int n = atoi(argv[1]);
  float* x = malloc(sizeof(float) * n);
  for (int i = 0; i < n; ++i) x[i] = rank + i * 1e-3f;
  for (int i = 0; i < 100; ++i) MPI_Allreduce(MPI_IN_PLACE, x, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
  int k = 2000;
  double t = MPI_Wtime();
  for (int i = 0; i < k; ++i) MPI_Allreduce(MPI_IN_PLACE, x, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
  t = (MPI_Wtime() - t) / k;
  if (rank == 0) printf("OpenMPI world %d n %d: %.0f us per MPI_Allreduce\n", size, n, t * 1e6);
  MPI_Finalize();
  return 0;
}
