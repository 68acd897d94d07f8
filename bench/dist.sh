#!/usr/bin/env bash
# Data-parallel scaling on this machine (issue 13; a benchmark, not a test): DQN on CartPole-v1
# (the fast preset's 64x64 net and update rounds, no early stop, no evaluation until the end)
# on 1, 2 and 4 local ranks of `bellman launch`, Gloo over loopback. Ranks beyond the core count
# oversubscribe the cores: that shows the cost of the all-reduces and of waiting for the slowest
# rank, not a speed-up. Per run: wall seconds of the launch and of the slowest rank's training
# loop (loop_s), env steps/s and gradient updates/s summed over the ranks (over loop_s), and the bytes each rank hands to the all-reduce per update (the
# gradient: 4,610 floats for 4-64-64-2).
# Usage: bench/dist.sh [build-dir]   STEPS=20000 env steps per rank, RANKS="1 2 4"
set -euo pipefail
BUILD=${1:-build}
STEPS=${STEPS:-20000}
B="$BUILD/bellman"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
echo "machine: $(nproc) cores; DQN CartPole-v1, $STEPS env steps per rank"
printf '%6s %8s %8s %14s %14s %12s %14s\n' ranks wall_s loop_s env_steps/s updates/s \
  upd/s/rank bytes/update
for n in ${RANKS:-1 2 4}; do
  run="$OUT/r$n"
  t0=$(date +%s.%N)
  "$B" launch --nproc "$n" -- train --algo dqn --env CartPole-v1 --seed 1 --no-progress \
    --config "$ROOT/configs/dqn/CartPole-v1-fast.yaml" --set n_timesteps="$STEPS" \
    --set eval_freq=0 --set eval_stop_return=0 --set checkpoint_freq=0 \
    --set final_eval_episodes=1 --set dist.check_interval=0 --run-dir "$run" >/dev/null 2>&1
  t1=$(date +%s.%N)
  "$PY" - "$run" "$n" "$t0" "$t1" <<'PYEOF'
import json, sys
run, n, t0, t1 = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
s = [json.load(open(f"{run}/{'' if r == 0 else f'rank{r}/'}summary.json")) for r in range(n)]
wall = t1 - t0
loop = max(x["wall_seconds"] for x in s)  # the training loop, without process start-up
env = sum(x["env_steps"] for x in s)
upd = sum(x["gradient_steps"] for x in s)
grad_floats = (4 * 64 + 64) + (64 * 64 + 64) + (64 * 2 + 2)
bytes_per_update = 4 * grad_floats if n > 1 else 0
print(f"{n:6d} {wall:8.2f} {loop:8.2f} {env / loop:14.0f} {upd / loop:14.0f} "
      f"{upd / n / loop:12.0f} {bytes_per_update:14d}")
PYEOF
done

# Ape-X (dist.mode apex, configs/dqn/CartPole-v1-apex.yaml without early stop): one learner and
# 1, 2, 3 actors, $STEPS env steps read by the learner in all. The learner trains at the
# preset's replay ratio (32 updates per 64 env steps read), so its updates/s follow the env
# steps/s it is fed; actors collect ahead by at most 4 blocks each. Per run: the learner's
# loop seconds, env steps/s the actors collected and the learner read, updates/s, the bytes
# read per env step (blocks: n-step transitions with priorities) and per parameter broadcast.
echo
echo "Ape-X: one learner + N actors, $STEPS env steps read by the learner"
printf '%6s %8s %8s %16s %14s %12s %14s %14s\n' actors wall_s loop_s collected/s read/s \
  updates/s bytes/step bytes/params
for a in ${ACTORS:-1 2 3}; do
  run="$OUT/apex$a"
  t0=$(date +%s.%N)
  "$B" launch --nproc $((a + 1)) -- train --seed 1 --no-progress \
    --config "$ROOT/configs/dqn/CartPole-v1-apex.yaml" --set n_timesteps="$STEPS" \
    --set eval_freq=0 --set eval_stop_return=0 --set checkpoint_freq=0 \
    --set final_eval_episodes=1 --run-dir "$run" >/dev/null 2>&1
  t1=$(date +%s.%N)
  "$PY" - "$run" "$a" "$t0" "$t1" <<'PYEOF'
import json, sys
run, a, t0, t1 = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
L = json.load(open(f"{run}/summary.json"))
A = [json.load(open(f"{run}/rank{r}/summary.json")) for r in range(1, a + 1)]
loop = L["wall_seconds"]
collected = sum(x["env_steps"] for x in A)
d = L["dist"]
# q_net + q_target of 4-64-64-2 as a torch archive: measured from the store's traffic instead
# would need a counter; the parameter count is exact, the archive adds a few hundred bytes.
params = 2 * 4 * ((4 * 64 + 64) + (64 * 64 + 64) + (64 * 2 + 2))
print(f"{a:6d} {t1 - t0:8.2f} {loop:8.2f} {collected / loop:16.0f} {L['env_steps'] / loop:14.0f} "
      f"{L['gradient_steps'] / loop:12.0f} {d['bytes_read'] / L['env_steps']:14.1f} {params:14d}")
PYEOF
done
