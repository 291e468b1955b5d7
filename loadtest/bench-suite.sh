#!/usr/bin/env bash
# Measures this machine and writes docs/benchmarks.md and README.md's performance block from the results:
#   loadtest/bench-suite.sh            # the full suite, about 10 to 15 minutes
#   loadtest/bench-suite.sh --quick    # a few minutes, rough figures
#   loadtest/bench-suite.sh --help     # every option (deployments, idle sandbox counts, --cold-config)
# Run it as root: sandboxes run as a host user of their own, and only root reads their smaps_rollup.
# PHANTOM_NO_BUILD=1 skips the build (the tree is already packaged).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ "${PHANTOM_NO_BUILD:-0}" != "1" ]; then
  ./mvnw -q -B -DskipTests package
fi
export JAVA_HOME="${JAVA_HOME:-$(ls -d /usr/lib/jvm/temurin-25* /usr/lib/jvm/*21* 2>/dev/null | head -n1)}"
FLAGS=(-XX:+UseSerialGC)
# Netty's use of sun.misc.Unsafe needs this on 23 and newer (and the flag does not exist before).
if "$JAVA_HOME/bin/java" --sun-misc-unsafe-memory-access=allow -version >/dev/null 2>&1; then
  FLAGS+=(--sun-misc-unsafe-memory-access=allow)
fi
exec "$JAVA_HOME/bin/java" "${FLAGS[@]}" \
  -cp "loadtest/target/phantom-loadtest.jar" dev.phantom.loadtest.BenchSuite --root "$ROOT" "$@"
