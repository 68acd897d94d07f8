#!/usr/bin/env bash
# Q-Transformer update speed (issue 12; not a test): gradient updates per second at the
# presets' sizes (11 bins per dimension, width 64, 2 layers, 1 head, a 256-unit state layer,
# batch 256), bellman against the same model and step in PyTorch (bench/qt_torch.py, Debian's
# python3-torch), one thread each, measured in this run on the same machine.
#   bellman: `bellman train --algo q_transformer --dataset D` with `profile: true` and no
#            evaluation; updates/s = gradient steps / update seconds (sampling included)
#   pytorch: bench/qt_torch.py on synthetic transitions of the same shapes (no data loading)
# Usage: bench/qt.sh [build-dir]   STEPS=300 bellman updates, TORCH_STEPS=200 PyTorch updates,
#   ENVS="Pendulum-v1:3:1 Hopper-v4:11:3" (id:obs:action dimensions)
set -euo pipefail
BUILD=${1:-build}
STEPS=${STEPS:-300}
TORCH_STEPS=${TORCH_STEPS:-200}
B="$BUILD/bellman"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
echo "machine: $(nproc) cores; one thread on both sides"
printf '%-14s %14s %14s %8s\n' env bellman_upd/s pytorch_upd/s ratio
for env in ${ENVS:-Pendulum-v1:3:1 Hopper-v4:11:3}; do
  IFS=: read -r id obs act <<<"$env"
  "$B" collect --env "$id" --policy random --steps 5000 --seed 1 --out "$OUT/$id-data" >/dev/null
  run="$OUT/$id-qt"
  # Random data's rewards can be negative (Hopper): a bias keeps them >= 0 as the method needs.
  "$B" train --algo q_transformer --env "$id" --dataset "$OUT/$id-data" --no-progress \
    --config "$ROOT/configs/q_transformer/Pendulum-v1.yaml" --set n_timesteps="$STEPS" \
    --set eval_freq=0 --set checkpoint_freq=0 --set final_eval_episodes=1 --set profile=true \
    --set torch_threads=1 --set q_transformer.reward_bias=20 --run-dir "$run" >/dev/null
  ours=$("$PY" -c "import json; p = json.load(open('$run/summary.json'))['profile_seconds']; \
print(f'{$STEPS / p[\"update\"]:.1f}')")
  theirs=$("$PY" "$ROOT/bench/qt_torch.py" --obs-dim "$obs" --act-dim "$act" \
    --updates "$TORCH_STEPS" --warmup 10 |
    "$PY" -c 'import json,sys; print("%.1f" % json.loads(sys.stdin.read())["updates_per_s"])')
  ratio=$("$PY" -c "print(f'{$ours / $theirs:.2f}x')")
  printf '%-14s %14s %14s %8s\n' "$id" "$ours" "$theirs" "$ratio"
done
