#!/usr/bin/env bash
# Continuous-control benchmarks (not a test; docs/continuous.md, "Benchmarks"):
#   pendulum  TD3, SAC, DSAC-T on Pendulum-v1 with RL Zoo's presets (configs/<algo>/Pendulum-v1:
#             TD3 400x300, SAC/DSAC-T 256x256), 20k steps, SEEDS; final return vs RL Zoo's
#             published figures (TD3 -151.86, SAC -157) and wall time vs SB3's (TD3 191 s, SAC
#             445 s for 20k steps on this machine kind, ../shared/reference/peers.md)
#   fast      TD3, SAC, DSAC-T with RLtools' network size (64x64, batch 100; Pendulum-v1-fast
#             presets), 20k steps, SEEDS; wall time vs RLtools (TD3 5.8-6.9 s for 20k steps, SAC
#             3.5-4.7 s for 10k, peers.md)
#   fastpath  TD3 and SAC fast presets with net fast_path off vs on (plain libtorch modules and
#             torch.optim vs FusedMlp and flat Adam), seed 1: what the fast path gains
#   discrete  DecQN, REValueD, CQN on Pendulum-v1 (their presets), SEEDS
#   ppo       PPO on CartPole-v1 with RL Zoo's preset (8 envs, 100k steps), SEEDS; wall time vs
#             SB3's 42.7 s (peers.md)
#   mujoco    TD3 and SAC on HalfCheetah-v4 and Hopper-v4 (configs/<algo>/<env>-fast: RL Zoo with
#             128x128 nets, batch 128)
#             for MUJOCO_STEPS (default 300k) env
#             steps, MUJOCO_SEEDS (default 1), MUJOCO_ENVS, MUJOCO_ALGOS; learning curves
#             (periodic evaluation) as PNG in OUT
# Every run sets `profile: true`; the per-phase times (env, replay, act, forward, backward,
# optimizer, polyak, ...) are printed from summary.json. torch_threads is 1 in every preset.
# Usage: bench/continuous.sh [build-dir] [sections...]   (default: all but mujoco)
#        SEEDS="1 2 3 4 5"; OUT=dir keeps the run directories and PNGs (default: a temp dir).
set -euo pipefail
BUILD=${1:-build}
shift || true
SECTIONS=${*:-pendulum fast fastpath discrete ppo}
SEEDS=${SEEDS:-1 2 3 4 5}
MUJOCO_STEPS=${MUJOCO_STEPS:-300000}
MUJOCO_SEEDS=${MUJOCO_SEEDS:-1}
MUJOCO_ENVS=${MUJOCO_ENVS:-HalfCheetah-v4 Hopper-v4}
MUJOCO_ALGOS=${MUJOCO_ALGOS:-td3 sac}
B="$BUILD/bellman"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
if [ -z "${OUT:-}" ]; then
  OUT=$(mktemp -d)
  trap 'rm -rf "$OUT"' EXIT
fi
mkdir -p "$OUT"

# run TAG ALGO ENV PRESET SEED [--set k=v ...]: trains, prints one line and the profile.
run() {
  local tag=$1 algo=$2 env=$3 preset=$4 seed=$5
  shift 5
  local dir="$OUT/$tag-$seed"
  rm -rf "$dir"
  "$B" train --algo "$algo" --env "$env" --config "$ROOT/configs/$algo/$preset.yaml" \
    --seed "$seed" --set profile=true "$@" --run-dir "$dir" --no-progress > /dev/null
  $PY - "$dir/summary.json" "$tag" "$seed" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
f = d["final_eval"]
print(f"{sys.argv[2]} seed {sys.argv[3]}: final eval {f['mean']:.1f} +/- {f['std']:.1f}"
      f"  env steps {d['env_steps']}  gradient steps {d['gradient_steps']}"
      f"  wall {d['wall_seconds']:.2f} s")
p = d.get("profile_seconds", {})
tot = p.get("total", 0) or 1
skip = {"total"}
print(f"    profile ({tot:.2f} s): " +
      ", ".join(f"{k} {v:.2f}s ({100 * v / tot:.0f}%)" for k, v in p.items()
                if k not in skip and v >= 0.005))
PY
}

# summarize TAG REFERENCE_RETURN REF_WALL_LO REF_WALL_HI REF_NAME SEEDS...
summarize() {
  $PY - "$OUT" "$@" <<'PY'
import json, statistics, sys
out, tag, ref_ret, lo, hi, ref_name, seeds = (sys.argv[1], sys.argv[2], sys.argv[3],
                                              float(sys.argv[4]), float(sys.argv[5]),
                                              sys.argv[6], sys.argv[7:])
ds = [json.load(open(f"{out}/{tag}-{s}/summary.json")) for s in seeds]
ev = [d["final_eval"]["mean"] for d in ds]
wt = [d["wall_seconds"] for d in ds]
sd = lambda xs: statistics.pstdev(xs) if len(xs) > 1 else 0.0
m = statistics.mean(wt)
line = f"{tag}: final return {statistics.mean(ev):.1f} +/- {sd(ev):.1f} over {len(ev)} seeds"
if "ppo" not in tag:
    line += f" (>= -250 on {sum(e >= -250 for e in ev)}/{len(ev)})"
if ref_ret != "-":
    line += f", RL Zoo {ref_ret}"
line += f"; wall {m:.2f} +/- {sd(wt):.2f} s per seed"
if lo > 0:
    line += f"; {ref_name} {lo:g}-{hi:g} s -> {lo / m:.1f}x-{hi / m:.1f}x"
print(line)
PY
}

# curve TAG TITLE SEEDS...: PNG of the periodic evaluations.
curve() {
  local tag=$1 title=$2
  shift 2
  $PY - "$OUT" "$tag" "$title" "$@" <<'PY'
import csv, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
out, tag, title, seeds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
fig, ax = plt.subplots(figsize=(6, 4))
for s in seeds:
    xs, ys = [], []
    with open(f"{out}/{tag}-{s}/progress.csv") as f:
        for row in csv.DictReader(f):
            if row.get("eval_return_mean"):
                xs.append(int(float(row["env_steps"])))
                ys.append(float(row["eval_return_mean"]))
    ax.plot(xs, ys, marker="o", label=f"seed {s}")
ax.set_xlabel("env steps")
ax.set_ylabel("evaluation return (10 episodes)")
ax.set_title(title)
ax.legend()
fig.tight_layout()
path = f"{out}/{tag}.png"
fig.savefig(path, dpi=100)
print(f"curve: {path}")
PY
}

echo "bellman continuous-control benchmarks: nproc $(nproc), $(date -u +%Y-%m-%dT%H:%M:%SZ)"
for section in $SECTIONS; do
  case $section in
    pendulum)
      echo "== Pendulum-v1, RL Zoo presets, 20k steps"
      for s in $SEEDS; do run td3_zoo td3 Pendulum-v1 Pendulum-v1 "$s"; done
      summarize td3_zoo -151.86 191 191 "SB3" $SEEDS
      for s in $SEEDS; do run sac_zoo sac Pendulum-v1 Pendulum-v1 "$s"; done
      summarize sac_zoo -157 445 445 "SB3" $SEEDS
      for s in $SEEDS; do run dsac_t_zoo dsac_t Pendulum-v1 Pendulum-v1 "$s"; done
      summarize dsac_t_zoo - 0 0 - $SEEDS ;;
    fast)
      echo "== Pendulum-v1, RLtools' network size (64x64, batch 100), 20k steps"
      for s in $SEEDS; do run td3_fast td3 Pendulum-v1 Pendulum-v1-fast "$s"; done
      summarize td3_fast - 5.8 6.9 "RLtools TD3 (20k)" $SEEDS
      for s in $SEEDS; do run sac_fast sac Pendulum-v1 Pendulum-v1-fast "$s"; done
      # RLtools' SAC figure is for 10k steps: twice it for 20k.
      summarize sac_fast - 7.0 9.4 "RLtools SAC (2 x its 10k figure)" $SEEDS
      for s in $SEEDS; do run dsac_t_fast dsac_t Pendulum-v1 Pendulum-v1-fast "$s"; done
      summarize dsac_t_fast - 0 0 - $SEEDS ;;
    fastpath)
      echo "== the networks' fast path: fast presets, seed 1, fast_path false vs true"
      for a in td3 sac; do
        run "${a}_plain" "$a" Pendulum-v1 Pendulum-v1-fast 1 --set "$a.fast_path=false"
        run "${a}_fused" "$a" Pendulum-v1 Pendulum-v1-fast 1
        $PY - "$OUT/${a}_plain-1/summary.json" "$OUT/${a}_fused-1/summary.json" "$a" <<'PY'
import json, sys
p, f = (json.load(open(x))["wall_seconds"] for x in sys.argv[1:3])
print(f"{sys.argv[3]}: plain {p:.2f} s, fast path {f:.2f} s -> {p / f:.2f}x")
PY
      done ;;
    discrete)
      echo "== discretised-action Q-learning on Pendulum-v1"
      for a in decqn revalued cqn; do
        if [ ! -f "$ROOT/configs/$a/Pendulum-v1.yaml" ]; then echo "$a: no preset"; continue; fi
        for s in $SEEDS; do run "$a" "$a" Pendulum-v1 Pendulum-v1 "$s"; done
        summarize "$a" - 0 0 - $SEEDS
      done ;;
    ppo)
      echo "== PPO CartPole-v1, RL Zoo preset, 100k steps"
      for s in $SEEDS; do run ppo_zoo ppo CartPole-v1 CartPole-v1 "$s"; done
      summarize ppo_zoo 500 42.7 42.7 "SB3" $SEEDS ;;
    mujoco)
      echo "== MuJoCo, $MUJOCO_STEPS steps"
      for env in $MUJOCO_ENVS; do
        for a in $MUJOCO_ALGOS; do
          for s in $MUJOCO_SEEDS; do
            run "${a}_${env}" "$a" "$env" "$env-fast" "$s" --set "n_timesteps=$MUJOCO_STEPS"
          done
          curve "${a}_${env}" "$a $env" $MUJOCO_SEEDS
        done
      done ;;
    *) echo "unknown section $section (pendulum fast fastpath discrete ppo mujoco)" >&2; exit 2 ;;
  esac
done
