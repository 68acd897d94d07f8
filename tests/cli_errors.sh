#!/usr/bin/env bash
# Bad input as a new user types it: every case must end with exit code 2 and ONE line on stderr
# ("bellman: error: ...") that contains the expected words; nothing already written is lost.
# Usage: tests/cli_errors.sh path/to/bellman
set -uo pipefail
B=$1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
fails=0
passes=0

# expect_error NEEDLE ARGS...: exit 2, exactly one stderr line, containing NEEDLE.
expect_error() {
  local needle=$1
  shift
  local err rc lines
  err=$("$B" "$@" 2>&1 > /dev/null)
  rc=$?
  lines=$(printf '%s' "$err" | grep -c '')
  if [ "$rc" -ne 2 ] || [ "$lines" -ne 1 ] || [[ "$err" != "bellman: error: "* ]] ||
     [[ "$err" != *"$needle"* ]]; then
    echo "FAIL: bellman $* -> exit $rc, $lines stderr lines, expected exit 2 and one line with '$needle':"
    printf '%s\n' "$err" | head -5
    fails=$((fails + 1))
  else
    passes=$((passes + 1))
  fi
}

mkdir -p "$OUT/adir"
: > "$OUT/empty.yaml"
printf 'n_timesteps: 100\nn_timesteps: 200\n' > "$OUT/dup.yaml"
printf 'algo: dqn\nenv: CartPole-v1\nn_timesteps: 1e23\n' > "$OUT/huge.yaml"
printf 'algo: dqn\nenv: CartPole-v1\nn_timestep: 100\n' > "$OUT/typo.yaml"

expect_error "is a directory" train --config "$OUT/adir"
expect_error "is empty" train --config /dev/null
expect_error "is empty" train --config "$OUT/empty.yaml"
expect_error "appears twice (lines 1 and 2)" train --config "$OUT/dup.yaml"
expect_error "out of range" train --config "$OUT/huge.yaml"
expect_error "did you mean 'n_timesteps'" train --config "$OUT/typo.yaml"
expect_error "did you mean 'n_timesteps'" train --set n_timestep=100
expect_error "unknown algorithm 'dqnn' (did you mean 'dqn'?); algorithms:" train --algo dqnn
expect_error "unknown algorithm 'dqnn' (did you mean 'dqn'?)" train --algo dqnn \
  --config "$ROOT/configs/dqn/CartPole-v1.yaml"
expect_error "unknown environment id 'CartPol-v1' (did you mean 'CartPole-v1'?)" \
  train --env CartPol-v1
expect_error "unknown command 'frobnicate'" frobnicate
expect_error "unknown command 'tran' (did you mean 'train'?)" tran
expect_error "Could not convert" solve --gamma abc
expect_error "--episodes must be >= 1, got 0" solve --method q_learning --episodes 0
expect_error "--episodes must be >= 1, got -5" solve --method q_learning --episodes=-5
expect_error "unknown --options 'hallway' (did you mean 'hallways'?)" solve --env FourRooms-v0 \
  --options hallway
expect_error "FourRooms-v0's hallway options; --env is FrozenLake-v1" solve --options hallways
expect_error "learns over options; give --options" solve --env FourRooms-v0 \
  --method intra_option_q_learning
expect_error "methods: value_iteration, policy_iteration, q_learning, sarsa, expected_sarsa, double_q_learning" \
  solve --method foo
expect_error "unknown --method 'minimaxq' (did you mean 'minimax_q'?)" game --method minimaxq
expect_error "unknown multi-agent env 'Socer-v0' (did you mean 'Soccer-v0'?)" game --env Socer-v0
expect_error "minimax_q: opponent 'me' is unknown" game --method minimax_q --opponent me
expect_error "CartPole-v1: unknown argument 'foo'" train --env CartPole-v1 --env-arg foo=1 \
  --run-dir "$OUT/never"
[ -e "$OUT/never" ] && { echo "FAIL: a run with bad env kwargs left a run directory"; fails=$((fails + 1)); }

# A short run with env kwargs: recorded in config.yaml, used by eval.
"$B" train --algo dqn --env FrozenLake-v1 \
  --env-arg is_slippery=false --set n_timesteps=600 --set checkpoint_freq=200 \
  --set eval_freq=0 --set dqn.learning_starts=100 --set keep_checkpoints=0 \
  --run-dir "$OUT/run" --no-progress > /dev/null 2>&1 || { echo "FAIL: training run"; exit 1; }
grep -q "is_slippery: false" "$OUT/run/config.yaml" ||
  { echo "FAIL: env_kwargs not in config.yaml"; fails=$((fails + 1)); }
"$B" eval --checkpoint "$OUT/run" --episodes 2 --env-arg is_slippery=false > /dev/null ||
  { echo "FAIL: eval with --env-arg"; fails=$((fails + 1)); }

expect_error "--critic and --best-of go together" eval --checkpoint "$OUT/run" --best-of 4
expect_error "Best-of-N ranks continuous actions; FrozenLake-v1 has Discrete(4)" eval \
  --checkpoint "$OUT/run" --critic "$OUT/run" --best-of 4
expect_error "--algo sac differs from the run's dqn" train --resume "$OUT/run" --algo sac
expect_error "--env CartPole-v1 differs from the run's FrozenLake-v1" train --resume "$OUT/run" \
  --env CartPole-v1
expect_error "--seed 9 differs from the run's 1" train --resume "$OUT/run" --seed 9

# A damaged latest checkpoint names the previous intact one and the command that uses it.
latest=$(cat "$OUT/run/checkpoints/latest")
cp -r "$OUT/run" "$OUT/run_before"
printf 'garbage' >> "$OUT/run/checkpoints/$latest/trainer_state.json"
expect_error "the newest intact checkpoint is $OUT/run/checkpoints/step_400 (step 400): bellman train --resume $OUT/run/checkpoints/step_400" \
  train --resume "$OUT/run"
diff -r -q "$OUT/run_before/checkpoints/step_400" "$OUT/run/checkpoints/step_400" > /dev/null ||
  { echo "FAIL: a failed resume changed an intact checkpoint"; fails=$((fails + 1)); }

# Datasets: bad collect options, a folder that is no dataset, an existing dataset kept intact.
expect_error "give exactly one of --episodes N or --steps N" collect --env CartPole-v1 \
  --out "$OUT/ds"
expect_error "--epsilon must be in [0, 1], got 2" collect --env CartPole-v1 --episodes 1 \
  --epsilon 2 --out "$OUT/ds"
expect_error "is not a Minari dataset folder" dataset info "$OUT/adir"
"$B" collect --env CartPole-v1 --episodes 2 --out "$OUT/ds" > /dev/null
expect_error "dataset folder '$OUT/ds' already exists" collect --env CartPole-v1 --episodes 1 \
  --out "$OUT/ds"
expect_error "does not fit Pendulum-v1" train --algo bc --env Pendulum-v1 --dataset "$OUT/ds" \
  --run-dir "$OUT/offline"
"$B" dataset info "$OUT/ds" | grep -q "episodes   2" ||
  { echo "FAIL: the existing dataset changed"; fails=$((fails + 1)); }

# Offline algorithms, recipes, recording and OPE: each bad value named.
expect_error "for Discrete actions use discrete_bc" train --algo bc --env CartPole-v1 \
  --dataset "$OUT/ds" --config "$ROOT/configs/bc/Pendulum-v1.yaml" --run-dir "$OUT/bc-discrete"
expect_error "iql.expectile must be in (0, 1), got 1.5" train --algo iql --env Pendulum-v1 \
  --set iql.expectile=1.5 --run-dir "$OUT/iql-bad"
expect_error "--noise needs a policy run and a Box action space" collect --env CartPole-v1 \
  --episodes 1 --noise 0.3 --out "$OUT/noisy"
expect_error "no recipe for env 'Pendulum-v2' (did you mean 'Pendulum-v1'?)" dataset make \
  --env Pendulum-v2 --level medium --out "$OUT/made"
expect_error "unknown --level 'expret' (did you mean 'expert'?)" dataset make \
  --env Pendulum-v1 --level expret --out "$OUT/made"
expect_error "MinAtar/Breakout-v1 has the levels random, replay" dataset make \
  --env MinAtar/Breakout-v1 --level medium --out "$OUT/made"
expect_error "--out $OUT/ds exists; a dataset is never overwritten" dataset make \
  --env Pendulum-v1 --level random --out "$OUT/ds"
expect_error "not with --resume or --dataset" train --algo bc --env Pendulum-v1 \
  --dataset "$OUT/ds" --record-dataset "$OUT/rec" --run-dir "$OUT/rec-run"
expect_error "--record-dataset $OUT/ds exists" train --algo dqn --env CartPole-v1 \
  --record-dataset "$OUT/ds" --run-dir "$OUT/rec-run2"
"$B" dataset info "$OUT/ds" | grep -q "episodes   2" ||
  { echo "FAIL: the existing dataset changed"; fails=$((fails + 1)); }

echo "cli_errors: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
