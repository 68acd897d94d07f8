#!/usr/bin/env bash
# The offline results tables of docs/offline.md (issue 11; not a test): every algorithm for Box
# actions (bc, td3_bc, iql, cql) on every recipe of `bellman dataset make --env ENV` (random,
# medium, medium-replay, expert, medium-expert; seed 0), SEEDS training seeds, D4RL-normalised
# final scores (10 evaluation episodes), plus learning curves of medium and medium-replay as PNG.
# Budgets (what 2 cores allow):
# - Pendulum-v1 (the default): 64x64 networks (CQL 3x64), batch 256; gradient steps bc 5k,
#   td3_bc 10k, iql, csve, q_transformer and arsq 20k, cql 10k (the transformers: their presets).
# - Hopper-v4, HalfCheetah-v4: the presets configs/<algo>/<env>.yaml (CORL's networks and
#   settings) for STEPS gradient steps (default 10000), cql for CQL_STEPS (default STEPS).
# Evaluation (5 episodes) every 2,500 steps.
# Usage: bench/offline_results.sh [build-dir]
#   ENV=Pendulum-v1 SEEDS="1 2 3" LEVELS="random ..." ALGOS="bc td3_bc iql cql" OUT=dir
#   (OUT defaults to a temp dir; an existing OUT's datasets, policies and runs are reused)
set -euo pipefail
BUILD=${1:-build}
ENV=${ENV:-Pendulum-v1}
SEEDS=${SEEDS:-1 2 3}
ALGOS=${ALGOS:-bc td3_bc iql cql}
LEVELS=${LEVELS:-random medium medium-replay expert medium-expert}
STEPS=${STEPS:-10000}
CQL_STEPS=${CQL_STEPS:-$STEPS}
B="$BUILD/bellman"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
if [ -z "${OUT:-}" ]; then
  OUT=$(mktemp -d)
  trap 'rm -rf "$OUT"' EXIT
fi
mkdir -p "$OUT"
for level in $LEVELS; do
  [ -d "$OUT/data-$level" ] || "$B" dataset make --env "$ENV" --level "$level" --seed 0 \
    --policies "$OUT/policies" --out "$OUT/data-$level" >/dev/null
done
steps_of() {
  if [ "$ENV" != Pendulum-v1 ]; then
    if [ "$1" = cql ]; then echo "$CQL_STEPS"; else echo "$STEPS"; fi
    return
  fi
  case $1 in
    bc) echo 5000 ;;
    td3_bc | td3_bc_mcep | cql) echo 10000 ;;
    iql | csve | q_transformer | arsq) echo 20000 ;;
  esac
}
for level in $LEVELS; do
  for algo in $ALGOS; do
    for seed in $SEEDS; do
      run="$OUT/runs/$level-$algo-$seed"
      [ -f "$run/summary.json" ] && continue
      extra=()
      # The transformers' presets are their Pendulum settings already.
      if [ "$ENV" = Pendulum-v1 ] && [ "$algo" != q_transformer ] && [ "$algo" != arsq ]; then
        hidden="[64, 64]"
        [ "$algo" = cql ] && hidden="[64, 64, 64]"
        extra=(--set "$algo.hidden_sizes=$hidden" --set "$algo.batch_size=256")
      fi
      rm -rf "$run"  # a run stopped before its summary starts again
      "$B" train --algo "$algo" --env "$ENV" --dataset "$OUT/data-$level" --seed "$seed" \
        --no-progress --run-dir "$run" --set n_timesteps="$(steps_of "$algo")" \
        --set eval_freq=2500 --set eval_episodes=5 --set final_eval_episodes=10 \
        --set checkpoint_freq=0 "${extra[@]}" >/dev/null
    done
  done
done
"$PY" - "$OUT" "$ROOT/docs/img" "$ENV" "$ALGOS" $LEVELS <<'PYEOF'
import csv, json, os, statistics, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
out, img, env, algos, levels = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(), sys.argv[5:]
def meta(level):
    return json.load(open(f"{out}/data-{level}/data/metadata.json"))
def behaviour(level):
    import h5py
    m = meta(level)  # every level's references: the same random and expert returns
    with h5py.File(f"{out}/data-{level}/data/main_data.hdf5") as f:
        rets = [f[k]["rewards"][()].sum() for k in f.keys()]
    r = sum(rets) / len(rets)
    return 100 * (r - m["ref_min_score"]) / (m["ref_max_score"] - m["ref_min_score"])
print("| dataset | behaviour | " + " | ".join(algos) + " |")
print("|---|---|" + "---|" * len(algos))
for level in levels:
    row = [f"{behaviour(level):.1f}"]
    for a in algos:
        scores = []
        for run in sorted(os.listdir(f"{out}/runs")):
            if run.startswith(f"{level}-{a}-") and run[len(level) + len(a) + 2:].isdigit():
                s = json.load(open(f"{out}/runs/{run}/summary.json"))
                m = meta(level)
                r = s["final_eval"]["mean"]
                scores.append(100 * (r - m["ref_min_score"]) / (m["ref_max_score"] - m["ref_min_score"]))
        if not scores:
            row.append("-")
            continue
        sd = statistics.pstdev(scores) if len(scores) > 1 else 0.0
        each = ", ".join(f"{x:.1f}" for x in scores)
        row.append(f"{statistics.mean(scores):.1f} +/- {sd:.1f} ({each})")
    print(f"| {level} | " + " | ".join(row) + " |")
m = meta(levels[0])
print(f"\nreferences: random {m['ref_min_score']:.1f}, expert {m['ref_max_score']:.1f}")
os.makedirs(img, exist_ok=True)
for level in [l for l in ("medium", "medium-replay") if l in levels]:
    plt.figure(figsize=(6, 4))
    for a in algos:
        curves = []
        for run in sorted(os.listdir(f"{out}/runs")):
            if run.startswith(f"{level}-{a}-") and run[len(level) + len(a) + 2:].isdigit():
                rows = [r for r in csv.DictReader(open(f"{out}/runs/{run}/progress.csv"))
                        if r.get("eval_normalized_score")]
                curves.append([(int(r["train_steps"]), float(r["eval_normalized_score"])) for r in rows])
        if not curves:
            continue
        n = min(len(c) for c in curves)
        xs = [curves[0][i][0] for i in range(n)]
        ys = [statistics.mean(c[i][1] for c in curves) for i in range(n)]
        plt.plot(xs, ys, marker="o", label=a)
    plt.axhline(behaviour(level), color="gray", linestyle="--", label="behaviour")
    plt.xlabel("gradient steps")
    plt.ylabel("D4RL-normalised score (mean of seeds)")
    plt.title(f"{env} {level}")
    plt.legend()
    plt.tight_layout()
    name = env.split("-")[0].lower()
    plt.savefig(f"{img}/offline_{name}_{level}.png", dpi=80)
PYEOF
