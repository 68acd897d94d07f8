#!/usr/bin/env bash
# Discrete offline results of docs/offline.md (issues 11, 12; not a test): discrete_cql and
# q_transformer (ALGOS) against discrete_bc on DQN-replay datasets of MinAtar Breakout and
# SpaceInvaders (`bellman dataset make --level replay`: every transition of one DQN run of
# DQN_STEPS env steps, seed 0), SEEDS training seeds, GRAD_STEPS gradient steps each (their
# presets otherwise), final return over 30 episodes and its normalised score.
# Usage: bench/offline_minatar.sh [build-dir]   DQN_STEPS=200000 GRAD_STEPS=50000 SEEDS="1 2 3"
#   ALGOS="discrete_bc discrete_cql q_transformer"
set -euo pipefail
BUILD=${1:-build}
DQN_STEPS=${DQN_STEPS:-200000}
GRAD_STEPS=${GRAD_STEPS:-50000}
SEEDS=${SEEDS:-1 2 3}
ALGOS=${ALGOS:-discrete_bc discrete_cql q_transformer}
B="$BUILD/bellman"
PY=/usr/bin/python3
if [ -z "${OUT:-}" ]; then
  OUT=$(mktemp -d)
  trap 'rm -rf "$OUT"' EXIT
fi
mkdir -p "$OUT"
for game in Breakout SpaceInvaders; do
  env="MinAtar/$game-v1"
  data="$OUT/data-$game"
  [ -d "$data" ] || "$B" dataset make --env "$env" --level replay --seed 0 --steps "$DQN_STEPS" \
    --policies "$OUT/policies-$game" --out "$data" | grep -E "episodes|steps|return"
  for algo in $ALGOS; do
    for seed in $SEEDS; do
      run="$OUT/runs/$game-$algo-$seed"
      [ -f "$run/summary.json" ] && continue
      "$B" train --algo "$algo" --env "$env" --dataset "$data" --seed "$seed" --no-progress \
        --run-dir "$run" --set n_timesteps="$GRAD_STEPS" --set eval_freq=0 \
        --set checkpoint_freq=0 >/dev/null
    done
  done
done
"$PY" - "$OUT" $ALGOS <<'PYEOF'
import json, os, statistics, sys
out, algos = sys.argv[1], sys.argv[2:]
print("| game | dataset return | " + " | ".join(algos) + " |")
print("|---|---|" + "---|" * len(algos))
for game in ["Breakout", "SpaceInvaders"]:
    m = json.load(open(f"{out}/data-{game}/data/metadata.json"))
    import h5py
    with h5py.File(f"{out}/data-{game}/data/main_data.hdf5") as f:
        rets = [f[k]["rewards"][()].sum() for k in f.keys()]
    row = [f"{sum(rets) / len(rets):.2f} ({len(rets)} episodes; expert {m['ref_max_score']:.2f})"]
    for algo in algos:
        vals = [json.load(open(f"{out}/runs/{r}/summary.json"))["final_eval"]["mean"]
                for r in sorted(os.listdir(f"{out}/runs")) if r.startswith(f"{game}-{algo}-")]
        row.append(f"{statistics.mean(vals):.2f} +/- {statistics.pstdev(vals):.2f} ({', '.join(f'{v:.2f}' for v in vals)})")
    print(f"| {game} | " + " | ".join(row) + " |")
PYEOF
