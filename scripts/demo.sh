#!/usr/bin/env bash
# The flagship demo run by `make run`: DQN learns CartPole-v1 from scratch with the fast preset
# (configs/dqn/CartPole-v1-fast.yaml), showing the progress bar, the final evaluation and the run
# directory; then exact planning on FrozenLake.
set -euo pipefail
BUILD=${1:-build}
B="$BUILD/bellman"
echo "== bellman train --algo dqn --env CartPole-v1 --config configs/dqn/CartPole-v1-fast.yaml --seed 1"
start=$(date +%s%N)
"$B" train --algo dqn --env CartPole-v1 --config configs/dqn/CartPole-v1-fast.yaml --seed 1
end=$(date +%s%N)
ms=$(((end - start) / 1000000))
printf "training + evaluation took %d.%01d s on %s cores\n" $((ms / 1000)) $((ms % 1000 / 100)) "$(nproc)"
echo
echo "== bellman solve --env FrozenLake-v1 --gamma 0.99"
"$B" solve --env FrozenLake-v1 --gamma 0.99
