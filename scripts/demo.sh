#!/usr/bin/env bash
# The flagship demo run by `make run`: exact planning on FrozenLake, Q-learning on CliffWalking
# judged against the exact optimum, and CartPole stepping speed against Gymnasium.
set -euo pipefail
BUILD=${1:-build}
B="$BUILD/bellman"
echo "== bellman solve --env FrozenLake-v1 --gamma 0.99"
"$B" solve --env FrozenLake-v1 --gamma 0.99
echo
echo "== bellman solve --env CliffWalking-v1 --method q_learning --episodes 500 --seed 1"
"$B" solve --env CliffWalking-v1 --method q_learning --episodes 500 --seed 1
echo
echo "== bellman bench envs --ids CartPole-v1 --seconds 1"
"$B" bench envs --ids CartPole-v1 --seconds 1
