#!/usr/bin/env bash
# A 2-rank data-parallel run (bellman launch) killed with SIGKILL between checkpoints, then
# resumed with `launch -- train --resume`: every rank must equal the uninterrupted 2-rank run bit
# for bit (progress.csv, the last checkpoint's networks and replay buffer, the final evaluation,
# the parameter-hash chain). KEEP=1 keeps the work directory.
# Usage: tests/dist_kill_resume.sh path/to/bellman
set -euo pipefail
B=$1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$OUT"' EXIT; echo "work dir $OUT"
ARGS=(train --algo dqn --env CartPole-v1 --config "$ROOT/configs/dqn/CartPole-v1-fast.yaml"
      --seed 3 --no-progress --set n_timesteps=6000 --set checkpoint_freq=2000
      --set eval_stop_return=0 --set eval_freq=3000 --set dist.check_interval=20)

"$B" launch --nproc 2 -- "${ARGS[@]}" --run-dir "$OUT/full" > /dev/null 2>&1

# The launcher and its ranks in a process group of their own, killed together.
setsid "$B" launch --nproc 2 -- "${ARGS[@]}" --run-dir "$OUT/killed" > /dev/null 2>&1 &
pid=$!
# Kill once both ranks hold the same newest checkpoint: the run is then between checkpoints.
for _ in $(seq 1 6000); do
  if [ -e "$OUT/killed/checkpoints/latest" ] && [ -e "$OUT/killed/rank1/checkpoints/latest" ] &&
     [ "$(cat "$OUT/killed/checkpoints/latest")" = "$(cat "$OUT/killed/rank1/checkpoints/latest")" ]; then
    break
  fi
  sleep 0.01
done
if ! kill -9 -- "-$pid" 2> /dev/null; then
  echo "FAIL: the run finished before it could be killed (make it longer)"
  exit 1
fi
wait "$pid" 2> /dev/null || true
for d in "" rank1/; do
  [ -e "$OUT/killed/${d}summary.json" ] && { echo "FAIL: killed rank ${d:-0} has a summary"; exit 1; }
done
echo "killed after checkpoint $(cat "$OUT/killed/checkpoints/latest") (both ranks)"

"$B" launch --nproc 2 -- train --resume "$OUT/killed" --no-progress > /dev/null 2>&1

last=$(cat "$OUT/full/checkpoints/latest")
for d in "" rank1/; do
  cmp "$OUT/full/${d}progress.csv" "$OUT/killed/${d}progress.csv"
  for f in replay.bin dqn.pt; do
    cmp "$OUT/full/${d}checkpoints/$last/$f" "$OUT/killed/${d}checkpoints/$last/$f"
  done
done
/usr/bin/python3 - "$OUT/full" "$OUT/killed" << 'PY'
import json, sys
full, killed = sys.argv[1:]
for d in ("", "rank1/"):
    a, b = (json.load(open(f"{r}/{d}summary.json")) for r in (full, killed))
    assert a["final_eval"] == b["final_eval"], (d, a["final_eval"], b["final_eval"])
    assert a["gradient_steps"] == b["gradient_steps"] and a["env_steps"] == b["env_steps"]
    # The resumed run checked fewer times (from the resume on) but the same parameters.
    print(f"rank {b['dist']['rank']}: resumed run equals the uninterrupted one: final eval "
          f"{b['final_eval']['mean']}, {b['gradient_steps']} gradient steps")
PY
