#!/usr/bin/env bash
# Decision Transformer update speed (issue 12; not a test): gradient updates per second at
# CORL's dt.py sizes (context 20, width 128, 3 layers, 1 head, batch 64, dropout 0.1), bellman
# against the same model and step in PyTorch (bench/dt_torch.py, Debian's python3-torch), one
# thread each, measured in this run on the same machine.
#   bellman: `bellman train --algo dt --dataset D` with `profile: true` and no evaluation;
#            updates/s = gradient steps / update seconds (segment sampling included)
#   pytorch: bench/dt_torch.py on synthetic segments of the same shapes (no data loading)
# Usage: bench/dt.sh [build-dir]   STEPS=40 bellman updates, TORCH_STEPS=20 PyTorch updates,
#   ENVS="Pendulum-v1:3:1:200 Hopper-v4:11:3:1000" (id:obs:action:episode_len)
set -euo pipefail
BUILD=${1:-build}
STEPS=${STEPS:-40}
TORCH_STEPS=${TORCH_STEPS:-20}
B="$BUILD/bellman"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
echo "machine: $(nproc) cores; one thread on both sides"
printf '%-14s %14s %14s %8s\n' env bellman_upd/s pytorch_upd/s ratio
for env in ${ENVS:-Pendulum-v1:3:1:200 Hopper-v4:11:3:1000}; do
  IFS=: read -r id obs act len <<<"$env"
  "$B" collect --env "$id" --policy random --steps 5000 --seed 1 --out "$OUT/$id-data" >/dev/null
  run="$OUT/$id-dt"
  "$B" train --algo dt --env "$id" --dataset "$OUT/$id-data" --no-progress \
    --config "$ROOT/configs/dt/Pendulum-v1.yaml" --set n_timesteps="$STEPS" --set eval_freq=0 \
    --set checkpoint_freq=0 --set final_eval_episodes=1 --set profile=true \
    --set torch_threads=1 --set dt.embed_dim=128 --set dt.n_layers=3 --set dt.n_heads=1 \
    --set dt.context=20 --set dt.batch_size=64 --run-dir "$run" >/dev/null
  ours=$("$PY" -c "import json; p = json.load(open('$run/summary.json'))['profile_seconds']; \
print(f'{$STEPS / p[\"update\"]:.2f}')")
  theirs=$("$PY" "$ROOT/bench/dt_torch.py" --obs-dim "$obs" --act-dim "$act" --episode-len "$len" \
    --updates "$TORCH_STEPS" --warmup 3 |
    "$PY" -c 'import json,sys; print("%.2f" % json.loads(sys.stdin.read())["updates_per_s"])')
  ratio=$("$PY" -c "print(f'{$ours / $theirs:.2f}x')")
  printf '%-14s %14s %14s %8s\n' "$id" "$ours" "$theirs" "$ratio"
done
