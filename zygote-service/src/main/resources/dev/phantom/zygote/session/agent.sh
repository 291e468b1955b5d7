# Phantom Fragment session agent: the command of a session's sandbox, so that it and everything it
# starts run under the session's namespaces, seccomp filter and cgroup. Reads one command per line on
# standard input (written only by the zygote; no user string ever appears on it):
#   x ID        runs /.phantom/ID/run (written by the zygote) in a new session; reports "p ID PID" when
#               started and "e ID STATUS" when that process ended (128+N for signal N)
#   k PGID SIG  sends signal SIG to process group PGID (both decimal)
# and writes its reports on standard output, one line each (short lines: every write is atomic).
# Processes an exec leaves in the background are not waited for: they live on until the session ends.
io=/.phantom
echo r
while IFS=' ' read -r verb a b; do
  case "$verb" in
    x)
      case "$a" in ''|*[!A-Za-z0-9]*) continue ;; esac
      # A background job of a non-interactive shell starts with SIGINT and SIGQUIT ignored, and a
      # shell cannot undo that: env --default-signal gives the exec the default dispositions back.
      (
        setsid /usr/bin/env --default-signal /usr/bin/sh "$io/$a/run" </dev/null &
        echo "p $a $!"
        wait "$!"
        echo "e $a $?"
      ) &
      ;;
    k)
      case "$a" in ''|*[!0-9]*) continue ;; esac
      case "$b" in ''|*[!0-9]*) continue ;; esac
      # dash's kill takes no "--"; a negative pid right after the signal names the process group.
      kill -"$b" "-$a" 2>/dev/null
      ;;
  esac
done
