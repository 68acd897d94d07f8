# torch.distributed (Gloo) all-reduce latency between local processes: bench/allreduce.sh.
import os, sys, time, torch, torch.distributed as dist
import torch.multiprocessing as mp
def run(rank, world, n):
    os.environ["MASTER_ADDR"]="127.0.0.1"; os.environ["MASTER_PORT"]="29611"
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    x = torch.randn(n)
    for _ in range(50): dist.all_reduce(x)
    t=time.perf_counter(); k=2000
    for _ in range(k): dist.all_reduce(x)
    dt=(time.perf_counter()-t)/k
    if rank==0: print(f"world {world} n {n}: {dt*1e6:.0f} us per all_reduce")
    dist.destroy_process_group()
if __name__=="__main__":
    world=int(sys.argv[1]); n=int(sys.argv[2])
    mp.spawn(run, args=(world,n), nprocs=world)
