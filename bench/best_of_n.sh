#!/usr/bin/env bash
# Best-of-N policy extraction results of docs/offline.md (issue 12; not a test): a Gaussian BC
# base policy, an IQL critic trained on the same dataset, and `bellman eval --best-of N` for
# N = 1, 2, 4, 8, 16, 32 against the base's greedy (mean) action, D4RL-normalised, on Pendulum-v1
# datasets of `bellman dataset make --seed 0` (medium, medium-replay by default), SEEDS training
# seeds, EPISODES evaluation episodes per point (the runs' final evaluation seeds).
# Budgets: 64x64 networks, batch 256; bc 5k gradient steps, iql 20k (as bench/offline_results.sh).
# Usage: bench/best_of_n.sh [build-dir]   LEVELS="medium medium-replay" SEEDS="1 2 3"
#   EPISODES=20 OUT=dir (default: a temp dir; an existing OUT's datasets and runs are reused)
set -euo pipefail
BUILD=${1:-build}
LEVELS=${LEVELS:-medium medium-replay}
SEEDS=${SEEDS:-1 2 3}
EPISODES=${EPISODES:-20}
NS="1 2 4 8 16 32"
B="$BUILD/bellman"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
if [ -z "${OUT:-}" ]; then
  OUT=$(mktemp -d)
  trap 'rm -rf "$OUT"' EXIT
fi
mkdir -p "$OUT"
echo "machine: $(nproc) cores"
for level in $LEVELS; do
  data="$OUT/data-$level"
  [ -d "$data" ] || "$B" dataset make --env Pendulum-v1 --level "$level" --seed 0 \
    --policies "$OUT/policies" --out "$data" >/dev/null
  for seed in $SEEDS; do
    common=(--env Pendulum-v1 --dataset "$data" --seed "$seed" --no-progress --set eval_freq=0
            --set checkpoint_freq=0 --set final_eval_episodes=1)
    bc="$OUT/runs/$level-bc-$seed"
    iql="$OUT/runs/$level-iql-$seed"
    [ -f "$bc/summary.json" ] || { rm -rf "$bc"; "$B" train --algo bc "${common[@]}" \
      --run-dir "$bc" --set n_timesteps=5000 --set bc.loss=gaussian \
      --set "bc.hidden_sizes=[64, 64]" >/dev/null; }
    [ -f "$iql/summary.json" ] || { rm -rf "$iql"; "$B" train --algo iql "${common[@]}" \
      --run-dir "$iql" --set n_timesteps=20000 --set "iql.hidden_sizes=[64, 64]" >/dev/null; }
    out="$OUT/evals/$level-$seed"
    mkdir -p "$out"
    [ -f "$out/base" ] || "$B" eval --checkpoint "$bc" --episodes "$EPISODES" >"$out/base"
    for n in $NS; do
      [ -f "$out/n$n" ] || "$B" eval --checkpoint "$bc" --critic "$iql" --best-of "$n" \
        --episodes "$EPISODES" >"$out/n$n"
    done
  done
done
"$PY" - "$OUT" "$ROOT/docs/img" "$NS" "$SEEDS" $LEVELS <<'PYEOF'
import json, re, statistics, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
out, img, ns, seeds, levels = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4].split(), sys.argv[5:]
def mean_return(path):
    return float(re.search(r"return (-?[0-9.]+)", open(path).read()).group(1))
print("| dataset | base (greedy) | " + " | ".join(f"N={n}" for n in ns) + " | best gain |")
print("|---|---|" + "---|" * len(ns) + "---|")
plt.figure(figsize=(6, 4))
for level in levels:
    m = json.load(open(f"{out}/data-{level}/data/metadata.json"))
    norm = lambda r: 100 * (r - m["ref_min_score"]) / (m["ref_max_score"] - m["ref_min_score"])
    def score(name):
        return statistics.mean(norm(mean_return(f"{out}/evals/{level}-{s}/{name}")) for s in seeds)
    base = score("base")
    row = [score(f"n{n}") for n in ns]
    print(f"| {level} | {base:.1f} | " + " | ".join(f"{x:.1f}" for x in row) +
          f" | {max(row) - base:+.1f} |")
    line = plt.plot([int(n) for n in ns], row, marker="o", label=f"{level}: best of N")[0]
    plt.axhline(base, color=line.get_color(), linestyle="--", label=f"{level}: BC greedy")
plt.xscale("log", base=2)
plt.xlabel("N (candidates from the Gaussian BC policy)")
plt.ylabel(f"D4RL-normalised score (mean of seeds {', '.join(seeds)})")
plt.title("Pendulum-v1: Best-of-N with an IQL critic")
plt.legend(fontsize=8)
plt.tight_layout()
plt.savefig(f"{img}/best_of_n_pendulum.png", dpi=80)
PYEOF
