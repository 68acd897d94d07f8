#!/usr/bin/env bash
# MinAtar benchmarks (not a test; docs/minatar.md, docs/distributional.md):
#   envs   steps/s of bellman's five games (single env, pool at 1 and 2 threads) next to
#          MinAtar's own Python envs measured in the same run (needs MinAtar's source:
#          MINATAR_SRC=/path/to/MinAtar; skipped otherwise)
#   train  the DQN family on the five games: every variant in VARIANTS, every game in GAMES,
#          seeds SEEDS, FRAMES env steps each (default 1M; MinAtar's paper: 5M), with the family
#          presets configs/<algo>/MinAtar.yaml. Writes OUT/<variant>-<game>-<seed>.csv (the
#          run's progress.csv), OUT/summary.csv (final evaluation, wall time, training frames/s)
#          and OUT/<game>.png (evaluation return against frames, mean over seeds, with the
#          MinAtar paper's DQN return at 5M frames from ../shared/reference/peers.md).
# Usage: bench/minatar.sh [build-dir] [envs] [train]
#   FRAMES=1000000 SEEDS="1 2 3" GAMES="breakout asterix ..." VARIANTS="dqn c51 ..." OUT=dir
set -euo pipefail
BUILD=${1:-build}
shift || true
SECTIONS=${*:-envs train}
B="$BUILD/bellman"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FRAMES=${FRAMES:-1000000}
SEEDS=${SEEDS:-1 2 3}
GAMES=${GAMES:-asterix breakout freeway seaquest space_invaders}
# name:algo:overrides (comma-separated --set values)
VARIANTS=${VARIANTS:-dqn:dqn: c51:c51: qrdqn:qrdqn: iqn:iqn: rainbow:rainbow: dqn_hlgauss:dqn:dqn.loss=hl_gauss}
OUT=${OUT:-$ROOT/bench/out/minatar}
mkdir -p "$OUT"

title() { /usr/bin/python3 -c "import sys; print(''.join(w.title() for w in sys.argv[1].split('_')))" "$1"; }

echo "bellman MinAtar benchmarks: nproc $(nproc), $(date -u +%Y-%m-%dT%H:%M:%SZ)"
for section in $SECTIONS; do
  case $section in
    envs)
      ids=()
      for g in $GAMES; do ids+=("MinAtar/$(title "$g")-v1"); done
      "$B" bench envs --seconds 1 --ids "${ids[@]}"
      if [ -n "${MINATAR_SRC:-}" ]; then
        echo "MinAtar's Python envs (same machine, same run; random minimal-set actions, sticky 0.1):"
        PYTHONPATH="$MINATAR_SRC" /usr/bin/python3 "$ROOT/bench/minatar_python.py" 1 2>/dev/null |
          while read -r game rate; do
            echo "  $game: $rate steps/s"
          done
      fi ;;
    train)
      echo "variant,game,seed,env_steps,final_eval_mean,final_eval_std,wall_seconds,frames_per_second" \
        > "$OUT/summary.csv"
      for v in $VARIANTS; do
        IFS=: read -r name algo sets <<< "$v"
        extra=()
        IFS=, read -ra kv <<< "$sets"
        for s in "${kv[@]}"; do [ -n "$s" ] && extra+=(--set "$s"); done
        for g in $GAMES; do
          for seed in $SEEDS; do
            dir="$OUT/run-$name-$g-$seed"
            rm -rf "$dir"
            "$B" train --algo "$algo" --env "MinAtar/$(title "$g")-v1" --seed "$seed" \
              --set n_timesteps="$FRAMES" --set eval_freq=$((FRAMES / 20)) \
              --set checkpoint_freq=0 "${extra[@]}" --run-dir "$dir" --no-progress > /dev/null
            cp "$dir/progress.csv" "$OUT/$name-$g-$seed.csv"
            /usr/bin/python3 - "$dir/summary.json" "$name" "$g" "$seed" >> "$OUT/summary.csv" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
f = d["final_eval"]
print(f"{sys.argv[2]},{sys.argv[3]},{sys.argv[4]},{d['env_steps']},{f['mean']:.2f},"
      f"{f['std']:.2f},{d['wall_seconds']:.1f},{d['env_steps'] / d['wall_seconds']:.0f}")
PY
            tail -1 "$OUT/summary.csv"
          done
        done
      done
      /usr/bin/python3 - "$OUT" <<'PY'
import csv, glob, os, sys
from collections import defaultdict
out = sys.argv[1]
# MinAtar paper's DQN at 5M frames, read off its figures (peers.md).
paper = {"seaquest": 20, "breakout": 10, "asterix": 17, "freeway": 50, "space_invaders": 43}
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
curves = defaultdict(lambda: defaultdict(list))
for path in glob.glob(os.path.join(out, "*-*-*.csv")):
    name, game, seed = os.path.basename(path)[:-4].rsplit("-", 2)
    if name == "summary":
        continue
    rows = [r for r in csv.DictReader(open(path)) if r.get("eval_return_mean")]
    curves[game][name].append([(int(r["env_steps"]), float(r["eval_return_mean"])) for r in rows])
for game, by_name in sorted(curves.items()):
    if plt is None:
        break
    plt.figure(figsize=(6, 4))
    for name, runs in sorted(by_name.items()):
        n = min(len(r) for r in runs)
        xs = [runs[0][i][0] for i in range(n)]
        ys = [sum(r[i][1] for r in runs) / len(runs) for i in range(n)]
        plt.plot(xs, ys, label=f"{name} ({len(runs)} seeds)")
    if game in paper:
        plt.axhline(paper[game], color="k", ls="--", lw=0.8, label="MinAtar paper DQN @5M")
    plt.xlabel("frames")
    plt.ylabel("evaluation return")
    plt.title(f"MinAtar {game}")
    plt.legend(fontsize=7)
    plt.tight_layout()
    plt.savefig(os.path.join(out, f"{game}.png"), dpi=100)
    print(f"wrote {os.path.join(out, game + '.png')}")
PY
      ;;
    *) echo "unknown section $section (envs train)" >&2; exit 2 ;;
  esac
done
