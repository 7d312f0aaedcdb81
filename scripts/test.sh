#!/usr/bin/env bash
# The whole test suite: README's test command, and what CI runs.
#
# It installs what the tests need (scripts/install-deps.sh: only what is missing), builds once, then runs the test projects in two lanes at once: the cluster tests (TttCluster.Grains.Tests, the
# longest, ~16 min on a 2-core CI machine) in one, every other project one after another in the other (~14 min).
# Why not plain `dotnet test TttCluster.sln`: MSBuild keeps a built project on the node that built it, so a test
# project whose references were built on the node busy running the cluster tests waits for them to end. CI saw the
# Gateway and CLI tests start only after the cluster tests, 30 min in all instead of about 20.
# `dotnet test TttCluster.sln -c Release` still runs every test, just more slowly.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
dotnet build TttCluster.sln -c Release

# Runs the given test projects one after another, each line of their output prefixed with the lane's name; fails
# when any of them failed, after running them all.
run_lane() {
  local lane=$1 failed=0
  shift
  for project in "$@"; do
    # Normal verbosity: each test's name and duration, so a slow or hung one is named in CI's log.
    dotnet test "$project" -c Release --no-build --logger "console;verbosity=normal" 2>&1 \
      | sed -u "s/^/[$lane] /" || failed=1
  done
  return $failed
}

cluster=tests/TttCluster.Grains.Tests
others=()
for csproj in tests/*/*.csproj; do
  project="$(dirname "$csproj")"
  [ "$project" = "$cluster" ] || others+=("$project")
done

run_lane cluster "$cluster" &
cluster_lane=$!
run_lane others "${others[@]}" &
others_lane=$!
status=0
wait $cluster_lane || status=1
wait $others_lane || status=1
if [ $status -ne 0 ]; then echo "test.sh: some tests failed (search the output above for 'Test Run Failed' and '  Failed ')" >&2; fi
exit $status
