#!/usr/bin/env bash
# All-reduce latency on this machine (issue 13; docs/decisions.md, "Scale-out"): one all-reduce
# of N floats (default 4,610: the CartPole DQN gradient) between 2 and 3 local processes, with
# PyTorch's torch.distributed over Gloo (bench/allreduce/gloo_torch.py, Debian's python3-torch)
# and, if OpenMPI is installed (apt-get install libopenmpi-dev openmpi-bin; not a bellman
# dependency), with MPI_Allreduce (bench/allreduce/mpi.c, shared memory and TCP-only).
# Usage: bench/allreduce.sh [N]
set -euo pipefail
N=${1:-4610}
ROOT=$(cd "$(dirname "$0")" && pwd)
echo "machine: $(nproc) cores; all-reduce of $N floats"
for np in 2 3; do /usr/bin/python3 "$ROOT/allreduce/gloo_torch.py" "$np" "$N"; done
if ! command -v mpicc >/dev/null; then
  echo "OpenMPI not installed: apt-get install libopenmpi-dev openmpi-bin for the MPI rows"
  exit 0
fi
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
mpicc -O2 "$ROOT/allreduce/mpi.c" -o "$OUT/mpi"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun --oversubscribe -np 2 "$OUT/mpi" "$N" | tail -1
mpirun --oversubscribe -np 3 "$OUT/mpi" "$N" | tail -1
echo -n "TCP only: "; mpirun -np 2 --mca btl tcp,self "$OUT/mpi" "$N" | tail -1
