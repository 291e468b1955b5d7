#!/usr/bin/env bash
# Warm pools against their baselines, in one run on this machine (issue 7's figures):
#   warm Run `true` and warm RunCode python hello through the gRPC gateway (after 1000 calls of each, as a
#   long-running gateway and client have their paths compiled), each alternating with bare
#   bwrap (with and without the profile's seccomp filter) and host exec, 25 ms apart; the cold path (pools
#   off) alternating the same way; a burst of 200 at once with
#   pools of 64; sustained throughput next to bare bwrap in parallel; idle slot memory (PSS).
#   loadtest/bench-warm.sh [ROUNDS]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS="${1:-100}"
cd "$ROOT"
JAVA_HOME="${JAVA_HOME:-$(ls -d /usr/lib/jvm/temurin-25* 2>/dev/null | head -n1)}"
export JAVA_HOME
./mvnw -q -B -DskipTests package
LOADTEST=("$JAVA_HOME/bin/java" --sun-misc-unsafe-memory-access=allow -jar loadtest/target/phantom-loadtest.jar --quiet)
WORK="$(mktemp -d)"; chmod 755 "$WORK" # the sandbox user must reach the state dir inside
MESH=""
cleanup() { [ -n "$MESH" ] && { kill "$MESH" 2>/dev/null || true; wait "$MESH" 2>/dev/null || true; }; rm -rf "$WORK"; }
trap cleanup EXIT

# Starts `phantom up` with the given zygote section; sets PORT, HTTP.
up() {
  [ -n "$MESH" ] && { kill "$MESH"; wait "$MESH" 2>/dev/null || true; MESH=""; }
  # No per-caller rate limit: the default (100/s) would cap the burst and sustained figures, not the mesh.
  echo "{\"zygote\": $1, \"gateway\": {\"rateLimitPerSecond\": 0}}" > "$WORK/config.json"
  PHANTOM_NO_BUILD=1 PHANTOM_STATE_DIR="$WORK/state" ./phantom up --grpc-port 0 --http-port 0 --insecure-local \
    --config "$WORK/config.json" > "$WORK/up.log" 2>&1 &
  MESH=$!
  PORT=""
  for _ in $(seq 1 300); do
    PORT="$(sed -n 's/.*gRPC 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/up.log" | head -n1)"
    HTTP="$(sed -n 's/.*HTTP http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/up.log" | head -n1)"
    [ -n "$PORT" ] && break
    kill -0 $MESH 2>/dev/null || { cat "$WORK/up.log" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$PORT" ] || { echo "the mesh did not start" >&2; exit 1; }
}

# Waits until the pools hold at least $1 idle slots in all.
await_slots() {
  for _ in $(seq 1 600); do
    n="$(curl -s "http://127.0.0.1:$HTTP/metrics" | awk '/^phantom_zygote_pool_size\{/{s+=$2} END{print int(s)}')"
    [ "${n:-0}" -ge "$1" ] && return 0
    sleep 0.1
  done
  echo "pools did not fill (have ${n:-0}, want $1); the mesh log ends:" >&2; tail -5 "$WORK/up.log" >&2
}

pool_counts() {
  curl -s "http://127.0.0.1:$HTTP/metrics" | grep -E '^phantom_zygote_pool_(hits|misses)_total' | sed 's/^/  /'
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, kernel $(uname -r), $(bwrap --version), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "version: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"

echo; echo "== warm: pools of 64 (minimal) and 16 (python-dev); each phantom call alternates with the baselines =="
up '{"maxConcurrent": 256, "pools": [{"profile": "minimal", "size": 64}, {"profile": "python-dev", "size": 16}]}'
await_slots 80
"${LOADTEST[@]}" --gateway "127.0.0.1:$PORT" --scenario python-hello --requests 10 --warmup 5 \
  --compare --compare-requests "$ROUNDS" --compare-warmup 1000 | sed -n '/baselines/,$p'
pool_counts

echo; echo "== idle slot memory (PSS of bwrap, its init and the agent, per slot; forked: the slot's init and agent) =="
python3 - "$WORK/state" <<'EOF'
import os, re, sys
def pss(pid):
    try:
        for line in open(f"/proc/{pid}/smaps_rollup"):
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
def tree(pid):
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += pss(p)
        for task in os.listdir(f"/proc/{p}/task"):
            try:
                todo += [int(c) for c in open(f"/proc/{p}/task/{task}/children").read().split()]
            except OSError:
                pass
    return total
state = sys.argv[1]
slots = {}
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        cmd = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
    except OSError:
        continue
    if not cmd[0].endswith(b"bwrap") or not any(state.encode() in a for a in cmd):
        continue
    try:  # the sandbox's own init is a bwrap too: count each slot once, from its outer bwrap
        ppid = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
        if open(f"/proc/{ppid}/cmdline", "rb").read().split(b"\0")[0].endswith(b"bwrap"):
            continue
    except OSError:
        continue
    ws = next((a.decode() for a in cmd if b"/ws/" in a), "")
    m = re.search(r"slot-(.+)-[0-9a-f]{8}-\d+$", ws)
    if m:
        slots.setdefault(m.group(1), []).append(tree(int(pid)))
# Forked slots (Python pools) have no bubblewrap of their own: each is an init (pid 1 of a pid namespace
# nested in its fork server's) and its job process, in a cgroup named after the slot.
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        nspid = next(l for l in open(f"/proc/{pid}/status") if l.startswith("NSpid:")).split()[1:]
        groups = open(f"/proc/{pid}/cgroup").read()
    except (OSError, StopIteration):
        continue
    m = re.search(r"/run-\d+-slot-(.+)-[0-9a-f]{8}-\d+$", groups, re.M)
    if len(nspid) == 3 and nspid[-1] == "1" and m:
        slots.setdefault(m.group(1) + " (forked)", []).append(tree(int(pid)))
for profile, sizes in sorted(slots.items()):
    sizes.sort()
    print(f"  {profile}: {len(sizes)} idle slots, PSS per slot median {sizes[len(sizes)//2]} KiB (min {sizes[0]}, max {sizes[-1]})")
EOF

echo; echo "== burst: 200 requests at once, pools of 64 =="
await_slots 80
"${LOADTEST[@]}" --gateway "127.0.0.1:$PORT" --scenario run-true --concurrency 200 --requests 1000 --warmup 0 \
  | sed -n '/series/,$p' || true
pool_counts

echo; echo "== sustained: 16 clients for 20 s, then bare bwrap with 16 in parallel =="
await_slots 80
# CPU of the mesh's JVM and of everything it reaped (bubblewrap and the sandboxes), in clock ticks.
mesh_cpu() { awk '{print $14 + $15 + $16 + $17}' "/proc/$MESH/stat"; }
CPU_BEFORE="$(mesh_cpu)"
"${LOADTEST[@]}" --gateway "127.0.0.1:$PORT" --scenario run-true --concurrency 16 --duration 20s --warmup 2s \
  | sed -n '/series/,$p' | tee "$WORK/sustained.txt" || true
CPU_AFTER="$(mesh_cpu)"
OK="$(awk '$1 == "all" {print $2}' "$WORK/sustained.txt")"
[ -n "$OK" ] && [ "$OK" -gt 0 ] && awk -v a="$CPU_BEFORE" -v b="$CPU_AFTER" -v n="$OK" -v hz="$(getconf CLK_TCK)" \
  'BEGIN {printf "  CPU per run (mesh JVM and its sandboxes, warm-up included): %.1f ms\n", (b - a) * 1000 / hz / n}'
pool_counts
python3 - <<'EOF'
import subprocess, time
from concurrent.futures import ThreadPoolExecutor
bare = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--ro-bind", "/usr", "/usr",
        "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
        "--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache",
        "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--", "true"]
end = time.time() + 20
def worker(_):
    n = 0
    while time.time() < end:
        subprocess.run(bare, check=True)
        n += 1
    return n
with ThreadPoolExecutor(16) as pool:
    total = sum(pool.map(worker, range(16)))
import resource
children = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"  bare bwrap true, 16 in parallel for 20 s: {total / 20:.1f}/s, "
      f"CPU per run {(children.ru_utime + children.ru_stime) * 1000 / total:.1f} ms (bwrap and its sandbox)")
EOF

echo; echo "== cold: no pools; each phantom call alternates with the baselines =="
up '{"maxConcurrent": 256, "pools": []}'
"${LOADTEST[@]}" --gateway "127.0.0.1:$PORT" --scenario python-hello --requests 10 --warmup 5 \
  --compare --compare-requests "$ROUNDS" --compare-warmup 1000 | sed -n '/baselines/,$p'
