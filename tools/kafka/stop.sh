#!/usr/bin/env bash
# Stops a broker started by start.sh, by PID only, and waits until neither the broker JVM nor its
# supervisor is left. Which broker:
#   KAFKA_WORK_DIR=<dir> stop.sh   the broker of that work dir (what local-kafka.mjs uses)
#   stop.sh <pid>                  that broker PID
#   stop.sh                        the PID in ${KAFKA_PID_FILE:-${TMPDIR:-/tmp}/kafka-local-${KAFKA_PORT:-9092}.pid}
#
# Environment knobs:
#   KAFKA_STOP_SIGNAL    TERM (default: orderly shutdown, SIGKILL after KAFKA_STOP_TIMEOUT) or
#                        KILL (hard kill at once, like a crash; the data stays consistent enough
#                        for start.sh to bring the broker back with its topics and messages)
#   KAFKA_STOP_TIMEOUT   seconds before SIGTERM becomes SIGKILL, default 30
#   KAFKA_KEEP_WORK_DIR  1 = keep the work dir (data, logs, config) for a later start.sh with the
#                        same KAFKA_WORK_DIR; default 0 = delete it
set -euo pipefail

log() { echo "[kafka] $*" >&2; }
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
SIG="${KAFKA_STOP_SIGNAL:-TERM}"
SIG="${SIG#SIG}"
case "$SIG" in
  TERM|15) SIG=TERM ;;
  KILL|9) SIG=KILL ;;
  *) log "ERROR: KAFKA_STOP_SIGNAL must be TERM or KILL, got '$KAFKA_STOP_SIGNAL'"; exit 2 ;;
esac

alive() {
  local st
  [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null || return 1
  st="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
  st="${st##*) }"; [ "${st%% *}" != Z ]
}
# cmdline_has PID WORD: the process is alive and its command line contains WORD
cmdline_has() {
  alive "${1:-}" || return 1
  [ -r "/proc/$1/cmdline" ] || return 0
  tr '\0' ' ' < "/proc/$1/cmdline" | grep -qF -- "$2"
}
wait_gone() { # PID SECONDS
  local _
  for _ in $(seq 1 $(( $2 * 10 ))); do alive "$1" || return 0; sleep 0.1; done
  ! alive "$1"
}

PID="${1:-}"
W="${KAFKA_WORK_DIR:-}"
if [ -z "$PID" ]; then
  if [ -n "$W" ]; then
    PID="$(cat "$W/kafka.pid" 2>/dev/null || true)"
  else
    KAFKA_PID_FILE="${KAFKA_PID_FILE:-${TMPDIR:-/tmp}/kafka-local-${KAFKA_PORT:-9092}.pid}"
    PID="$(cat "$KAFKA_PID_FILE" 2>/dev/null || true)"
    W="$(cat "$KAFKA_PID_FILE.workdir" 2>/dev/null || true)"
  fi
fi
if [ -z "$W" ] && [ -n "$PID" ] && cmdline_has "$PID" kafka.Kafka && [ -r "/proc/$PID/cmdline" ]; then
  # stop.sh <pid>: the work dir is the directory of the server.properties on the command line
  conf="$(tr '\0' '\n' < "/proc/$PID/cmdline" | grep '/server\.properties$' | tail -1 || true)"
  [ -n "$conf" ] && W="$(dirname "$conf")"
fi
case "$PID" in *[!0-9]*) log "ERROR: bad pid '$PID'"; exit 1 ;; esac

SUP=""
[ -n "$W" ] && SUP="$(cat "$W/supervisor.pid" 2>/dev/null || true)"

if [ -n "$PID" ] && cmdline_has "$PID" kafka.Kafka; then
  t0=$(date +%s%N)
  kill "-$SIG" "$PID" 2>/dev/null || true
  if [ "$SIG" = TERM ] && ! wait_gone "$PID" "$KAFKA_STOP_TIMEOUT"; then
    log "broker $PID still running ${KAFKA_STOP_TIMEOUT}s after SIGTERM: SIGKILL"
    kill -KILL "$PID" 2>/dev/null || true
  fi
  wait_gone "$PID" 10 || { log "ERROR: broker $PID did not exit"; exit 1; }
  log "broker $PID stopped (SIG$SIG) in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
else
  log "no running broker${PID:+ (pid $PID not running)}${W:+ for $W}"
fi

# The supervisor notices the broker's exit within 0.5 s (and renames a fresh CDS archive);
# give it a moment, then make sure it is gone too.
if [ -n "$SUP" ] && cmdline_has "$SUP" start.sh; then
  wait_gone "$SUP" 10 || { log "supervisor $SUP still running: SIGKILL"; kill -KILL "$SUP" 2>/dev/null || true; }
fi

# PID files that point at this broker
for f in "${KAFKA_PID_FILE:-}" "${TMPDIR:-/tmp}"/kafka-local-*.pid; do
  { [ -n "$f" ] && [ -f "$f" ]; } || continue
  if { [ -n "$PID" ] && [ "$(cat "$f" 2>/dev/null)" = "$PID" ]; } ||
     { [ -n "$W" ] && [ "$(cat "$f.workdir" 2>/dev/null)" = "$W" ]; }; then
    rm -f "$f" "$f.workdir"
  fi
done

if [ -n "$W" ] && [ -d "$W" ]; then
  rm -f "$W/kafka.pid" "$W/supervisor.pid"
  if [ "${KAFKA_KEEP_WORK_DIR:-0}" = 1 ]; then
    log "kept work dir $W"
  elif [ -f "$W/.kafka-local" ]; then   # only ever delete a dir that start.sh set up
    rm -rf "$W"
  fi
fi
