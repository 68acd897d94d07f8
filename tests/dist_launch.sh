#!/usr/bin/env bash
# bellman launch (issue 13): 3 local ranks train DQN on CartPole-v1 data-parallel over Gloo with
# the fast preset; every rank's final evaluation must solve it (>= 475) and every rank must end
# with the same parameters (the hash chain of summary.json's dist block, checked across ranks
# every 50 all-reduces during the run). Then the errors: a failing rank stops the launch with its
# status, and impossible dist layouts are named.
# Usage: tests/dist_launch.sh path/to/bellman path/to/configs
set -euo pipefail
B=$1
CONFIGS=$2
PY=/usr/bin/python3
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

"$B" launch --nproc 2 -- train --algo dqn --env CartPole-v1 --seed 1 --no-progress \
  --config "$CONFIGS/dqn/CartPole-v1-fast.yaml" --set dist.check_interval=50 \
  --run-dir "$out/run" >"$out/log" 2>&1 || { cat "$out/log"; exit 1; }
"$PY" - "$out/run" <<'PYEOF'
import json, sys
run = sys.argv[1]
s = [json.load(open(f"{run}/{d}summary.json")) for d in ("", "rank1/")]
for r, x in enumerate(s):
    d = x["dist"]
    print(f"rank {d['rank']}: final eval {x['final_eval']['mean']:.1f}, "
          f"{x['gradient_steps']} updates, {d['param_checks']} checks, hash {d['param_hash']}")
    assert d["rank"] == r and d["world_size"] == 2, d
    assert x["final_eval"]["mean"] >= 475, f"rank {r} did not solve CartPole: {x['final_eval']}"
assert len({x["dist"]["param_hash"] for x in s}) == 1, "ranks ended with different parameters"
assert s[0]["dist"]["param_checks"] > 0 and len({x["dist"]["param_checks"] for x in s}) == 1
assert len({x["gradient_steps"] for x in s}) == 1
PYEOF

expect_error() {  # expect_error PATTERN ARGS...: the launch fails and stderr names PATTERN
  local pattern=$1
  shift
  if "$B" launch --nproc 2 -- "$@" >"$out/err" 2>&1; then
    echo "expected failure: $*"; exit 1
  fi
  grep -q -- "$pattern" "$out/err" || { echo "no '$pattern' in:"; cat "$out/err"; exit 1; }
}
expect_error "unknown algorithm" train --algo nosuch --env CartPole-v1 --run-dir "$out/e1"
expect_error "dist.actors" train --algo dqn --env CartPole-v1 --set dist.actors=1 \
  --run-dir "$out/e2"
expect_error "dist.learners" train --algo dqn --env CartPole-v1 --set dist.learners=3 \
  --run-dir "$out/e3"
expect_error "dist.mode" train --algo dqn --env CartPole-v1 --set dist.mode=ring \
  --run-dir "$out/e4"
expect_error "exited with status 2" train --algo dqn --env CartPole-v1 --set dist.timeout_s=-1 \
  --run-dir "$out/e5"
echo "dist_launch: ok"
