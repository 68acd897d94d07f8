#!/usr/bin/env bash
# Offline update speed (issue 11; not a test): gradient updates per second of IQL and CQL at
# CORL's hyperparameters (256x256 MLPs, CQL's 3x256, batch 256, one thread), bellman against the
# same update written in PyTorch as CORL writes it (bench/offline_torch.py, Debian's
# python3-torch), both measured in this run on the same machine.
#   bellman: `bellman train --algo A --dataset D` with `profile: true` and no evaluation;
#            updates/s = gradient steps / (sampling + update seconds from summary.json)
#   pytorch: bench/offline_torch.py on a synthetic dataset of the same shapes (sampling included)
# Shapes: Pendulum-v1 (obs 3, action 1) and Hopper-v4 (obs 11, action 3) random datasets.
# Usage: bench/offline.sh [build-dir]   STEPS=2000 (bellman updates), TORCH_STEPS=300
set -euo pipefail
BUILD=${1:-build}
STEPS=${STEPS:-2000}
TORCH_STEPS=${TORCH_STEPS:-300}
B="$BUILD/bellman"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
echo "machine: $(nproc) cores; torch_threads 1 on both sides"
printf '%-8s %-14s %14s %14s %8s\n' algo env bellman_upd/s pytorch_upd/s ratio
for env in Pendulum-v1:3:1 Hopper-v4:11:3; do
  IFS=: read -r id obs act <<<"$env"
  "$B" collect --env "$id" --policy random --steps 5000 --seed 1 --out "$OUT/$id-data" >/dev/null
  for algo in iql cql; do
    run="$OUT/$id-$algo"
    "$B" train --algo "$algo" --env "$id" --dataset "$OUT/$id-data" --no-progress \
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
      --updates "$TORCH_STEPS" --batch 256 --hidden "$hidden" --seed 0 |
      "$PY" -c 'import json,sys; print(f"{json.loads(sys.stdin.read())[\"updates_per_s\"]:.1f}")')
    ratio=$("$PY" -c "print(f'{$ours / $theirs:.2f}x')")
    printf '%-8s %-14s %14s %14s %8s\n' "$algo" "$id" "$ours" "$theirs" "$ratio"
  done
done
