#!/usr/bin/env bash
# Decision Transformer results of docs/offline.md (issue 12; not a test): dt on the Pendulum-v1
# expert dataset of `bellman dataset make --seed 0` (20k steps), conditioned on the dataset's
# mean return (TARGET, default -156.8), SEEDS training seeds, 50 final evaluation episodes, and
# the distance of the reached return from the target. Budget (2 cores): width 64, 2 layers,
# context 10, batch 64, lr 3e-4 with 500 warm-up steps, STEPS gradient steps (default 4000).
# Usage: bench/dt_results.sh [build-dir]   SEEDS="1 2 3" STEPS=4000 TARGET=-156.8 OUT=dir
set -euo pipefail
BUILD=${1:-build}
SEEDS=${SEEDS:-1 2 3}
STEPS=${STEPS:-4000}
TARGET=${TARGET:--156.8}
B="$BUILD/bellman"
PY=/usr/bin/python3
if [ -z "${OUT:-}" ]; then
  OUT=$(mktemp -d)
  trap 'rm -rf "$OUT"' EXIT
fi
mkdir -p "$OUT"
echo "machine: $(nproc) cores"
[ -d "$OUT/data-expert" ] || "$B" dataset make --env Pendulum-v1 --level expert --seed 0 \
  --policies "$OUT/policies" --out "$OUT/data-expert" >/dev/null
for seed in $SEEDS; do
  run="$OUT/runs/dt-$seed"
  [ -f "$run/summary.json" ] || { rm -rf "$run"; "$B" train --algo dt --env Pendulum-v1 \
    --dataset "$OUT/data-expert" --seed "$seed" --no-progress --run-dir "$run" \
    --set n_timesteps="$STEPS" --set eval_freq=2500 --set eval_episodes=10 \
    --set final_eval_episodes=50 --set checkpoint_freq=0 --set dt.embed_dim=64 \
    --set dt.n_layers=2 --set dt.context=10 --set dt.warmup_steps=500 --set dt.lr=3e-4 \
    --set dt.target_return="$TARGET" >/dev/null; }
  "$PY" - "$run/summary.json" "$seed" "$TARGET" <<'PYEOF'
import json, sys
s = json.load(open(sys.argv[1]))
r, t = s["final_eval"]["mean"], float(sys.argv[3])
print(f"seed {sys.argv[2]}: return {r:.1f} (normalised {s['final_eval']['normalized_score']:.1f}), "
      f"target {t:.1f}, off by {100 * abs(r - t) / abs(t):.1f}%, {s['wall_seconds']:.0f} s")
PYEOF
done
