#!/usr/bin/env bash
# Offline update speed (issue 11; not a test): gradient updates per second of IQL and CQL at
# CORL's hyperparameters (256x256 MLPs, CQL's 3x256, batch 256, one thread), bellman against the
# same update written in PyTorch as CORL writes it (bench/offline_torch.py, Debian's
# python3-torch), both measured in this run on the same machine.
#   bellman: `bellman train --algo A --dataset D` with `profile: true` and no evaluation;
#            updates/s = gradient steps / (sampling + update seconds from summary.json)
#   pytorch: bench/offline_torch.py on a synthetic dataset of the same shapes (sampling included)
#   floor:   bench/gemm_floor.py, the hidden-layer matrix products alone (a lower bound on any
#            implementation's update time with this BLAS on one core); max_ratio = floor /
#            pytorch is the most any implementation could be ahead of PyTorch here.
# Shapes: Pendulum-v1 (obs 3, action 1) and Hopper-v4 (obs 11, action 3) random datasets.
# Usage: bench/offline.sh [build-dir]   ENVS="Pendulum-v1:3:1 Hopper-v4:11:3" (id:obs:action)
#   IQL_STEPS=2000 / CQL_STEPS=300 bellman updates, IQL_TORCH_STEPS=300 / CQL_TORCH_STEPS=40
#   PyTorch updates (CQL's 3x256 critics on 256 x 30 sampled actions make it ~40x slower).
set -euo pipefail
BUILD=${1:-build}
IQL_STEPS=${IQL_STEPS:-2000}
CQL_STEPS=${CQL_STEPS:-300}
IQL_TORCH_STEPS=${IQL_TORCH_STEPS:-300}
CQL_TORCH_STEPS=${CQL_TORCH_STEPS:-40}
B="$BUILD/bellman"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
echo "machine: $(nproc) cores; torch_threads 1 on both sides"
printf '%-8s %-14s %14s %14s %8s %12s %10s\n' algo env bellman_upd/s pytorch_upd/s ratio \
  floor_upd/s max_ratio
for env in ${ENVS:-Pendulum-v1:3:1 Hopper-v4:11:3}; do
  IFS=: read -r id obs act <<<"$env"
  "$B" collect --env "$id" --policy random --steps 5000 --seed 1 --out "$OUT/$id-data" >/dev/null
  for algo in iql cql; do
    if [ "$algo" = iql ]; then STEPS=$IQL_STEPS TORCH_STEPS=$IQL_TORCH_STEPS
    else STEPS=$CQL_STEPS TORCH_STEPS=$CQL_TORCH_STEPS; fi
    run="$OUT/$id-$algo"
    # CORL's hyperparameters do not depend on the env: the Pendulum presets hold them.
    "$B" train --algo "$algo" --env "$id" --dataset "$OUT/$id-data" --no-progress \
      --config "$ROOT/configs/$algo/Pendulum-v1.yaml" \
      --set n_timesteps="$STEPS" --set eval_freq=0 --set checkpoint_freq=0 \
      --set final_eval_episodes=1 --set profile=true --set torch_threads=1 \
      --set "$algo.batch_size=256" --run-dir "$run" >/dev/null
    ours=$("$PY" - "$run/summary.json" "$STEPS" <<'PYEOF'
import json, sys
p = json.load(open(sys.argv[1]))["profile_seconds"]
busy = sum(v for k, v in p.items() if k not in ("eval", "log_checkpoint", "other", "total", "env", "act"))
print(f"{int(sys.argv[2]) / busy:.1f}")
PYEOF
)
    hidden=256
    theirs=$("$PY" "$ROOT/bench/offline_torch.py" --algo "$algo" --obs-dim "$obs" --act-dim "$act" \
      --updates "$TORCH_STEPS" --warmup 5 --batch 256 --hidden "$hidden" --seed 0 |
      "$PY" -c 'import json,sys; print("%.1f" % json.loads(sys.stdin.read())["updates_per_s"])')
    ratio=$("$PY" -c "print(f'{$ours / $theirs:.2f}x')")
    floor=$("$PY" "$ROOT/bench/gemm_floor.py" --algo "$algo" --batch 256 --hidden "$hidden" |
      "$PY" -c 'import json,sys; print("%.1f" % json.loads(sys.stdin.read())["floor_updates_per_s"])')
    max_ratio=$("$PY" -c "print(f'{$floor / $theirs:.2f}x')")
    printf '%-8s %-14s %14s %14s %8s %12s %10s\n' "$algo" "$id" "$ours" "$theirs" "$ratio" \
      "$floor" "$max_ratio"
  done
done
