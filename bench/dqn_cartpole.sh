#!/usr/bin/env bash
# DQN benchmarks (not a test; docs/dqn.md, "Benchmarks"):
#   zoo   CartPole-v1 with RL Zoo's exact hyperparameters (configs/dqn/CartPole-v1.yaml: 256x256,
#         train_freq 256, gradient_steps 128, 50k steps), 5 seeds
#   fast  CartPole-v1 with the fast preset (configs/dqn/CartPole-v1-fast.yaml, stops at the first
#         periodic evaluation of 500), 5 seeds
#   mc    MountainCar-v0, RL Zoo preset, 120k steps (target: final return <= -110), 3 seeds
#   mcfast MountainCar-v0, bellman's preset at RL Zoo's budget (configs/dqn/MountainCar-v0-fast:
#         Double DQN, 3-step, PER, gamma 0.99, final eps 0.01, 64x64; 100 final-eval episodes),
#         MC_SEEDS (default 1-5; the preset was tuned on seeds 1-10, 11-15 were not seen)
#   acro  Acrobot-v1, RL Zoo preset, 100k steps (target: final return >= -100), 3 seeds
# Every run has `profile: true`: the per-phase times (env, replay, act, forward, backward,
# optimizer, ...) are printed from summary.json. Prints the final evaluation (10 episodes on seeds
# no training or periodic evaluation saw) and the wall time per seed, mean +/- std per preset. No
# ratio against Stable-Baselines3: a ratio needs SB3 timed in the same run (peers.md); an earlier
# version divided by a remembered SB3 time that was twice too slow.
# Usage: bench/dqn_cartpole.sh [build-dir] [sections...]   (default: zoo fast mc mcfast acro)
#        SEEDS="1 2 3 4 5" to change the CartPole seeds, OTHER_SEEDS="1 2 3" those of mc and acro.
set -euo pipefail
BUILD=${1:-build}
shift || true
SECTIONS=${*:-zoo fast mc mcfast acro}
SEEDS=${SEEDS:-1 2 3 4 5}
OTHER_SEEDS=${OTHER_SEEDS:-1 2 3}
MC_SEEDS=${MC_SEEDS:-1 2 3 4 5}
B="$BUILD/bellman"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

# run NAME ENV PRESET SEED: trains, prints one line and the profile.
run() {
  local name=$1 env=$2 preset=$3 seed=$4
  "$B" train --algo dqn --env "$env" --config "$ROOT/configs/dqn/$preset.yaml" --seed "$seed" \
    --set profile=true --run-dir "$OUT/$name-$seed" --no-progress > /dev/null
  python3 - "$OUT/$name-$seed/summary.json" "$seed" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
f = d["final_eval"]
print(f"seed {sys.argv[2]}: final eval {f['mean']:.1f} +/- {f['std']:.1f} (seeds {f['seed']}+)"
      f"  env steps {d['env_steps']}  gradient steps {d['gradient_steps']}"
      f"  wall {d['wall_seconds']:.2f} s")
p = d.get("profile_seconds", {})
tot = p.get("total", 0) or 1
order = ["env", "replay", "act", "forward", "backward", "optimizer", "update_other",
         "target_update", "eval", "log_checkpoint", "other"]
print(f"    profile ({tot:.2f} s of training): " +
      ", ".join(f"{k} {p[k]:.2f}s ({100 * p[k] / tot:.0f}%)" for k in order if k in p))
PY
}

# summarize NAME SB3_COMPARE SEEDS...
summarize() {
  python3 - "$OUT" "$@" <<PY
import json, statistics, sys
out, name, compare, seeds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
ds = [json.load(open(f"{out}/{name}-{s}/summary.json")) for s in seeds]
ev = [d["final_eval"]["mean"] for d in ds]
wt = [d["wall_seconds"] for d in ds]
solved = sum(e >= 475 for e in ev)
sd = lambda xs: statistics.pstdev(xs) if len(xs) > 1 else 0.0
print(f"{name}: final return {statistics.mean(ev):.1f} +/- {sd(ev):.1f} over {len(ev)} seeds, "
      f"solved (>= 475) {solved}/{len(ev)}, wall {statistics.mean(wt):.2f} +/- {sd(wt):.2f} s "
      f"per seed")
PY
}

echo "bellman DQN benchmarks: nproc $(nproc), $(date -u +%Y-%m-%dT%H:%M:%SZ)"
for section in $SECTIONS; do
  case $section in
    zoo)
      echo "== CartPole-v1, RL Zoo hyperparameters (configs/dqn/CartPole-v1.yaml)"
      for s in $SEEDS; do run zoo CartPole-v1 CartPole-v1 "$s"; done
      summarize zoo sb3 $SEEDS ;;
    fast)
      echo "== CartPole-v1, fast preset (configs/dqn/CartPole-v1-fast.yaml)"
      for s in $SEEDS; do run fast CartPole-v1 CartPole-v1-fast "$s"; done
      summarize fast solve $SEEDS ;;
    mc)
      echo "== MountainCar-v0, RL Zoo hyperparameters, 120k steps (target <= -110)"
      for s in $OTHER_SEEDS; do run mc MountainCar-v0 MountainCar-v0 "$s"; done ;;
    mcfast)
      echo "== MountainCar-v0, bellman's preset at RL Zoo's budget, 120k steps (target <= -110)"
      for s in $MC_SEEDS; do run mcfast MountainCar-v0 MountainCar-v0-fast "$s"; done
      python3 - "$OUT" $MC_SEEDS <<'PY'
import json, statistics, sys
ev = [json.load(open(f"{sys.argv[1]}/mcfast-{s}/summary.json"))["final_eval"]["mean"]
      for s in sys.argv[2:]]
print(f"mcfast: final return {statistics.mean(ev):.1f} over {len(ev)} seeds "
      f"(100 episodes each), {sum(e >= -110 for e in ev)}/{len(ev)} seeds at or above -110")
PY
      ;;
    acro)
      echo "== Acrobot-v1, RL Zoo hyperparameters, 100k steps (target >= -100)"
      for s in $OTHER_SEEDS; do run acro Acrobot-v1 Acrobot-v1 "$s"; done ;;
    *) echo "unknown section $section (zoo fast mc mcfast acro)" >&2; exit 2 ;;
  esac
done
