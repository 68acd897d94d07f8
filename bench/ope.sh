#!/usr/bin/env bash
# Off-policy evaluation results of docs/ope.md (issue 11; not a test): three evaluation policies
# on one dataset of ENV (CartPole-v1 by default; Acrobot-v1 too), FQE and DR with 10 refits,
# PDIS and WIS against the true discounted return from 1000 rollouts.
#   behaviour: a DQN run (ENV's preset, 30k env steps, seed 1) with epsilon 0.3, 200 episodes
#   pi_1: the final policy with epsilon 0.1; pi_2: the final greedy policy;
#   pi_3: the 20k-step checkpoint with epsilon 0.1
# Usage: bench/ope.sh [build-dir]   ENV=CartPole-v1, OUT=dir keeps the runs (default: a temp dir)
set -euo pipefail
BUILD=${1:-build}
B="$BUILD/bellman"
ENV=${ENV:-CartPole-v1}
if [ -z "${OUT:-}" ]; then
  OUT=$(mktemp -d)
  trap 'rm -rf "$OUT"' EXIT
fi
mkdir -p "$OUT"
[ -f "$OUT/dqn/summary.json" ] || "$B" train --algo dqn --env "$ENV" --seed 1 \
  --set n_timesteps=30000 --set checkpoint_freq=10000 --set keep_checkpoints=0 --set eval_freq=0 \
  --no-progress --run-dir "$OUT/dqn" >/dev/null
[ -d "$OUT/data" ] || "$B" collect --policy "$OUT/dqn" --epsilon 0.3 --episodes 200 --seed 0 \
  --out "$OUT/data" >/dev/null
common=(--dataset "$OUT/data" --behavior "$OUT/dqn" --behavior-epsilon 0.3 --rollouts 1000
        --fqe-refits 10 --seed 1000)
"$B" ope --policy "$OUT/dqn" --epsilon 0.1 "${common[@]}"
"$B" ope --policy "$OUT/dqn" "${common[@]}"
"$B" ope --policy "$OUT/dqn/checkpoints/step_20000" --epsilon 0.1 "${common[@]}"
