#!/usr/bin/env bash
# A real `kill -9` of `bellman train` between checkpoints, then `bellman train --resume`: the
# resumed run must equal an uninterrupted run bit for bit (progress.csv, the final replay buffer,
# the networks and the trainer state (but its wall clock) of the last checkpoint, the final
# evaluation). KEEP=1 keeps the work directory.
# Usage: tests/kill_resume.sh path/to/bellman
set -euo pipefail
B=$1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$OUT"' EXIT; echo "work dir $OUT"
# PER + 3-step + dueling + soft target on 2 envs: every kind of state a checkpoint holds.
ARGS=(train --algo dqn --env CartPole-v1 --config "$ROOT/configs/dqn/CartPole-v1-fast.yaml"
      --seed 7 --no-progress --set n_timesteps=16000 --set checkpoint_freq=2000
      --set eval_stop_return=0 --set eval_freq=4000 --set num_envs=2 --set dqn.prioritized=true
      --set dqn.n_step=3 --set dqn.net.dueling=true --set dqn.tau=0.5)

"$B" "${ARGS[@]}" --run-dir "$OUT/full" > /dev/null

"$B" "${ARGS[@]}" --run-dir "$OUT/killed" > /dev/null &
pid=$!
# Kill as soon as the first checkpoint exists: the run is then between checkpoints.
for _ in $(seq 1 3000); do
  [ -e "$OUT/killed/checkpoints/latest" ] && break
  sleep 0.01
done
if ! kill -9 "$pid" 2> /dev/null; then
  echo "FAIL: the run finished before it could be killed (make it longer)"
  exit 1
fi
wait "$pid" 2> /dev/null || true
[ -e "$OUT/killed/summary.json" ] && { echo "FAIL: killed run has a summary"; exit 1; }
echo "killed after checkpoint $(cat "$OUT/killed/checkpoints/latest"); rows written before the kill: $(($(wc -l < "$OUT/killed/progress.csv") - 1))"

"$B" train --resume "$OUT/killed" --no-progress > /dev/null

cmp "$OUT/full/progress.csv" "$OUT/killed/progress.csv"
last=$(cat "$OUT/full/checkpoints/latest")
for f in replay.bin dqn.pt; do
  cmp "$OUT/full/checkpoints/$last/$f" "$OUT/killed/checkpoints/$last/$f"
done
python3 - "$OUT/full/summary.json" "$OUT/killed/summary.json" \
  "$OUT/full/checkpoints/$last/trainer_state.json" "$OUT/killed/checkpoints/$last/trainer_state.json" << 'PY'
import json, sys
a, b, sa, sb = (json.load(open(p)) for p in sys.argv[1:])
# The trainer state differs only in the wall clock.
sa.pop("wall_seconds"), sb.pop("wall_seconds")
assert sa == sb, "trainer_state.json differs"
assert a["final_eval"] == b["final_eval"], (a["final_eval"], b["final_eval"])
assert a["gradient_steps"] == b["gradient_steps"] and a["env_steps"] == b["env_steps"]
print(f"resumed run equals the uninterrupted one: final eval {b['final_eval']['mean']}, "
      f"{b['env_steps']} env steps, {b['gradient_steps']} gradient steps")
PY
