#!/usr/bin/env bash
# The layers the build enforces (docs/architecture.md): from each module's include path
# (build/layers/<module>/include), every header of a module it may not use must be missing, and
# a torch-free header of a module it may use must compile. Usage: tests/layers_check.sh BUILD_DIR CXX
set -uo pipefail
BUILD=$1
CXX=${2:-c++}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
declare -A ALLOWED=(
  [core]="core"
  [io]="core io"
  [envs]="core envs"
  [tabular]="core envs tabular"
  [replay]="core io replay"
  [nets]="core nets"
  [algos]="core io nets replay algos"
  [train]="core io envs replay nets algos train planning tabular"
  [dist]="core dist"
  [planning]="core envs planning"
)
# One torch-free header per module to try.
declare -A PROBE=(
  [core]=core/config.h [io]=io/checksum.h [envs]=envs/env.h [tabular]=tabular/planning.h
  [replay]=replay/storage.h [nets]=nets/threads.h [algos]=algos/algorithm.h [train]=train/train.h
  [dist]=dist/gloo.h [planning]=planning/mcts.h
)
fails=0
passes=0
for m in "${!ALLOWED[@]}"; do
  inc="$BUILD/layers/$m/include"
  [ -d "$inc" ] || { echo "FAIL: no layer include dir $inc"; fails=$((fails + 1)); continue; }
  for other in "${!PROBE[@]}"; do
    header="bellman/${PROBE[$other]}"
    out=$(echo "#include \"$header\"" | "$CXX" -std=c++20 -fsyntax-only -I"$inc" -x c++ - 2>&1)
    rc=$?
    if [[ " ${ALLOWED[$m]} " == *" $other "* ]]; then
      if [ "$rc" -ne 0 ]; then
        echo "FAIL: $m may include $header but it does not compile:"; echo "$out" | head -3
        fails=$((fails + 1))
      else
        passes=$((passes + 1))
      fi
    else
      if [ "$rc" -eq 0 ] || [[ "$out" != *"$header: No such file"* ]]; then
        echo "FAIL: $m must not see $header (rc $rc):"; echo "$out" | head -3
        fails=$((fails + 1))
      else
        passes=$((passes + 1))
      fi
    fi
  done
done
# Every module's sources are listed: no src/ folder outside the layers.
for d in "$ROOT"/src/*/; do
  name=$(basename "$d")
  [ -n "${ALLOWED[$name]:-}" ] || { echo "FAIL: src/$name is in no layer"; fails=$((fails + 1)); }
done
echo "layers: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
