#!/usr/bin/env bash
# Run latency of `true` through the embedded mesh, next to bare bubblewrap and host exec, in one run.
#   loadtest/bench-run-latency.sh [REQUESTS] [WARMUP]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQUESTS="${1:-100}"
WARMUP="${2:-20}"

cd "$ROOT"
./mvnw -q -B -DskipTests package
LOG="$(mktemp)"
./phantom up --grpc-port 0 --http-port 0 --insecure-local >"$LOG" 2>&1 &
MESH=$!
trap 'kill $MESH 2>/dev/null || true; wait $MESH 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 1 300); do
  PORT="$(sed -n 's/.*gRPC 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$LOG" | head -n1)"
  [ -n "$PORT" ] && break
  kill -0 $MESH 2>/dev/null || { cat "$LOG" >&2; exit 1; }
  sleep 0.1
done
[ -n "$PORT" ] || { echo "the mesh did not start" >&2; cat "$LOG" >&2; exit 1; }

JAVA_HOME="${JAVA_HOME:-$(ls -d /usr/lib/jvm/temurin-25* 2>/dev/null | head -n1)}"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, kernel $(uname -r), $(bwrap --version)"
"$JAVA_HOME/bin/java" --sun-misc-unsafe-memory-access=allow -jar loadtest/target/phantom-loadtest.jar --gateway "127.0.0.1:$PORT" \
  --scenario run-true --concurrency 1 --requests "$REQUESTS" --warmup "$WARMUP" --compare --compare-requests "$REQUESTS"
