#!/usr/bin/env bash
# Starts one real Apache Kafka 4.x broker (KRaft combined broker+controller, no ZooKeeper, no Docker)
# on 127.0.0.1, from jars that Maven resolves once from Maven Central, and waits until it answers a
# Kafka Metadata request.
#
# On success it prints on stdout lines you can eval, e.g. `eval "$(tools/kafka/start.sh)"`:
#   KAFKA_BROKERS=127.0.0.1:9092
#   KAFKA_PID=<broker JVM pid>
#   KAFKA_WORK_DIR=<dir>
# Everything else (progress, Maven output, errors) goes to stderr.
#
# Files:
#   <cache>/<version>/lib/*.jar + .complete   jars, shared by all runs, outside the repo
#   <cache>/<version>/broker-jdk<N>.jsa       class-data-sharing archive (faster JVM start)
#   $KAFKA_WORK_DIR/server.properties         generated config
#   $KAFKA_WORK_DIR/data/                     KRaft metadata + topic data (formatted on first start)
#   $KAFKA_WORK_DIR/logs/server.log           broker log; kafka.out = JVM stdout/stderr;
#                                             format.log/.out, supervisor.log, exit-status
#   $KAFKA_WORK_DIR/kafka.pid, supervisor.pid, kafka.env
#   $KAFKA_PID_FILE                           the broker PID at a fixed path (+ .workdir)
#
# Restart: run it again with the same KAFKA_WORK_DIR (after stop.sh with KAFKA_KEEP_WORK_DIR=1, or
# after the broker was SIGKILLed). A formatted data dir is reused as is (same cluster, topics and
# messages) and, unless KAFKA_PORT / KAFKA_CONTROLLER_PORT are set, so are its ports.
#
# Lifetime: the JVM runs under a supervisor (a bash subshell that is its parent). When the process
# KAFKA_PARENT_PID exits (default: whoever ran this script), however it exits, the supervisor
# stops the broker (SIGTERM, SIGKILL after KAFKA_STOP_TIMEOUT) and, if this script created the
# work dir (no KAFKA_WORK_DIR given), deletes it. The JVM also has PR_SET_PDEATHSIG=SIGTERM
# (setpriv), so it stops if the supervisor is killed. KAFKA_PARENT_PID=0 detaches the broker: it
# then runs until stop.sh. If start-up fails or is interrupted, the broker is killed.
#
# Environment knobs (all optional):
#   KAFKA_VERSION          default 4.4.0 (4.x only; needs Java 17+)
#   KAFKA_PORT             default 9092, or the port stored in an existing KAFKA_WORK_DIR
#   KAFKA_CONTROLLER_PORT  default 9093, or the port stored in an existing KAFKA_WORK_DIR
#   KAFKA_WORK_DIR         default: a new directory from mktemp -d in ${TMPDIR:-/tmp}
#   KAFKA_CACHE_DIR        default ${XDG_CACHE_HOME:-$HOME/.cache}/kafka-local
#   KAFKA_PID_FILE         default ${TMPDIR:-/tmp}/kafka-local-$KAFKA_PORT.pid
#   KAFKA_PARENT_PID       default $PPID (or, if that is a subshell, the script that forked it);
#                          0 = no watchdog (broker runs until stop.sh)
#   KAFKA_START_TIMEOUT    seconds to wait for readiness, default 120
#   KAFKA_STOP_TIMEOUT     seconds the supervisor waits after SIGTERM before SIGKILL, default 30
#   KAFKA_HEAP_OPTS        default "-Xms64m -Xmx512m"
#   KAFKA_JVM_PERFORMANCE_OPTS  default: SerialGC + C1-only JIT (see below)
#   KAFKA_OPTS             extra JVM options, appended
#   KAFKA_SERVER_PROPERTIES extra server.properties lines, "k=v" separated by newlines or spaces
#   KAFKA_LOG_LEVEL        root level of server.log, default INFO
#   KAFKA_CDS              1 (default) = use/create the CDS archive; 0 = off
#   MAVEN_ARGS_EXTRA       extra arguments for mvn (e.g. "-s settings.xml", "-o", "-q")
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Whoever reads our stdout/stderr may go away (parent killed): never die of SIGPIPE half-way.
trap '' PIPE
log() { echo "[kafka] $*" >&2 2>/dev/null || true; }
die() { log "ERROR: $*"; exit 1; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
secs_since() { local d=$(( $(now_ms) - $1 )); printf '%d.%01ds' $(( d / 1000 )) $(( d % 1000 / 100 )); }

KAFKA_VERSION="${KAFKA_VERSION:-4.4.0}"
KAFKA_CACHE_DIR="${KAFKA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kafka-local}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-120}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
KAFKA_CDS="${KAFKA_CDS:-1}"
export KAFKA_LOG_LEVEL="${KAFKA_LOG_LEVEL:-INFO}"
# A test broker needs little heap (RSS is ~150-170 MB with these settings).
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms64m -Xmx512m}"
# SerialGC: no concurrent GC threads competing for 2 cores, smallest footprint. C1-only JIT
# (TieredStopAtLevel=1): faster start-up and less CPU; throughput does not matter here.
KAFKA_JVM_PERFORMANCE_OPTS="${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true -Djava.net.preferIPv4Stack=true}"

case "$KAFKA_VERSION" in 4.*) ;; *) die "only Kafka 4.x is supported (KAFKA_VERSION=$KAFKA_VERSION)" ;; esac
command -v java >/dev/null || die "java not found (Kafka 4.x needs Java 17+)"
JAVA_MAJOR="$(java -version 2>&1 | sed -E -n 's/.* version "([0-9]+).*/\1/p' | head -1)"
{ [ -n "$JAVA_MAJOR" ] && [ "$JAVA_MAJOR" -ge 17 ]; } || die "Kafka $KAFKA_VERSION needs Java 17+, found '${JAVA_MAJOR:-unknown}'"

# ---- process helpers ------------------------------------------------------------------------------
# alive PID: the process exists and is not a zombie
alive() {
  local st
  [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null || return 1
  st="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
  st="${st##*) }"; [ "${st%% *}" != Z ]
}
# is_broker PID: alive and running kafka.Kafka (guards against stale PID files and PID reuse)
is_broker() {
  alive "${1:-}" || return 1
  [ -r "/proc/$1/cmdline" ] || return 0
  tr '\0' ' ' < "/proc/$1/cmdline" | grep -q 'kafka\.Kafka'
}
# start time (clock ticks since boot) of PID: tells a process from a later one with the same PID
proc_start() {
  local st; st="$(cat "/proc/$1/stat" 2>/dev/null)" || { echo none; return; }
  st="${st##*) }"
  # shellcheck disable=SC2086
  set -- $st; echo "${20}"
}
cmdline() { tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null; }
ppid_of() { local st; st="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1; st="${st##*) }"; st="${st#* }"; echo "${st%% *}"; }
if [ -z "${KAFKA_PARENT_PID:-}" ]; then
  # Default: the process that ran us. If that is a forked subshell of a script, e.g. the one bash
  # makes for "$(start.sh 2>/dev/null)", which exits right away, use the script itself (a forked
  # subshell has the same command line as its parent).
  KAFKA_PARENT_PID=$PPID
  while gp="$(ppid_of "$KAFKA_PARENT_PID")" && [ "${gp:-0}" -gt 1 ] && [ -n "$(cmdline "$KAFKA_PARENT_PID")" ] &&
        [ "$(cmdline "$KAFKA_PARENT_PID")" = "$(cmdline "$gp")" ]; do
    KAFKA_PARENT_PID=$gp
  done
fi
PARENT_START=none
if [ "$KAFKA_PARENT_PID" != 0 ]; then
  alive "$KAFKA_PARENT_PID" || die "KAFKA_PARENT_PID=$KAFKA_PARENT_PID is not running"
  PARENT_START="$(proc_start "$KAFKA_PARENT_PID")"
fi
parent_gone() {
  [ "$KAFKA_PARENT_PID" != 0 ] || return 1
  ! alive "$KAFKA_PARENT_PID" || [ "$(proc_start "$KAFKA_PARENT_PID")" != "$PARENT_START" ]
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ---- 0. ports, refuse to start twice, work dir ---------------------------------------------------
if [ -n "${KAFKA_WORK_DIR:-}" ] && [ -f "$KAFKA_WORK_DIR/kafka.env" ] && [ -z "${KAFKA_PORT:-}${KAFKA_CONTROLLER_PORT:-}" ]; then
  # restart of an existing broker: same ports as last time
  KAFKA_PORT="$(sed -n 's/^KAFKA_PORT=//p' "$KAFKA_WORK_DIR/kafka.env")"
  KAFKA_CONTROLLER_PORT="$(sed -n 's/^KAFKA_CONTROLLER_PORT=//p' "$KAFKA_WORK_DIR/kafka.env")"
fi
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_PID_FILE="${KAFKA_PID_FILE:-${TMPDIR:-/tmp}/kafka-local-${KAFKA_PORT}.pid}"
[ "$KAFKA_PORT" != "$KAFKA_CONTROLLER_PORT" ] || die "KAFKA_PORT and KAFKA_CONTROLLER_PORT must differ"

for f in ${KAFKA_WORK_DIR:+"$KAFKA_WORK_DIR/kafka.pid"} "$KAFKA_PID_FILE"; do
  if [ -f "$f" ] && is_broker "$(cat "$f")"; then
    die "a broker is already running (pid $(cat "$f"), from $f); stop it with stop.sh first"
  fi
done
for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
  port_open "$p" && die "127.0.0.1:$p is already in use"
done

CREATED_WORK_DIR=0
if [ -z "${KAFKA_WORK_DIR:-}" ]; then
  KAFKA_WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/kafka-local.XXXXXX")"
  CREATED_WORK_DIR=1
  touch "$KAFKA_WORK_DIR/.temporary"   # the supervisor deletes it when the parent process goes away
fi
mkdir -p "$KAFKA_WORK_DIR"
KAFKA_WORK_DIR="$(cd "$KAFKA_WORK_DIR" && pwd)"
W="$KAFKA_WORK_DIR"
# .kafka-local marks a dir start.sh set up: the only kind stop.sh deletes. Never adopt a dir with
# other content (KAFKA_WORK_DIR=$HOME by mistake must not end in rm -rf).
if [ ! -f "$W/.kafka-local" ] && [ -n "$(find "$W" -mindepth 1 -maxdepth 1 ! -name .temporary | head -1)" ]; then
  die "KAFKA_WORK_DIR=$W is not empty and was not set up by start.sh; use a new or empty dir"
fi
touch "$W/.kafka-local"

# If start-up does not finish (error, timeout, signal, parent gone), leave no broker behind. A work
# dir this run created is deleted, except after a failed format/start, when it is kept for its logs.
PID=""
STARTED=0
KEEP_FAILED_WORK_DIR=0   # becomes 1 once there are logs worth keeping
on_exit() {
  [ "$STARTED" = 1 ] && return 0
  if [ -n "$PID" ] && alive "$PID"; then
    kill -TERM "$PID" 2>/dev/null || true
    for _ in $(seq 1 50); do alive "$PID" || break; sleep 0.2; done
    kill -KILL "$PID" 2>/dev/null || true
  fi
  if [ -n "$PID" ] && [ "$(cat "$KAFKA_PID_FILE" 2>/dev/null)" = "$PID" ]; then
    rm -f "$KAFKA_PID_FILE" "$KAFKA_PID_FILE.workdir"
  fi
  if [ "$CREATED_WORK_DIR" = 1 ] && { [ "$KEEP_FAILED_WORK_DIR" = 0 ] || parent_gone; }; then
    sleep 0.6   # let the supervisor finish writing into it
    rm -rf "$W"
  fi
}
trap on_exit EXIT
trap 'KEEP_FAILED_WORK_DIR=0; exit 130' INT
trap 'KEEP_FAILED_WORK_DIR=0; exit 143' TERM
trap 'KEEP_FAILED_WORK_DIR=0; exit 129' HUP
check_parent() { if parent_gone; then KEEP_FAILED_WORK_DIR=0; die "parent process $KAFKA_PARENT_PID is gone"; fi; }

# ---- 1. jars: resolve once from Maven Central into the cache -------------------------------------
LIB="$KAFKA_CACHE_DIR/$KAFKA_VERSION/lib"
if [ ! -f "$LIB/.complete" ]; then
  mkdir -p "$KAFKA_CACHE_DIR/$KAFKA_VERSION"
  exec 8>"$KAFKA_CACHE_DIR/$KAFKA_VERSION/.lock"
  if command -v flock >/dev/null && ! flock -n 8; then
    log "another start.sh is downloading Kafka $KAFKA_VERSION, waiting for it ..."
    flock 8
  fi
  if [ ! -f "$LIB/.complete" ]; then
    command -v mvn >/dev/null || die "mvn not found and no cached jars in $LIB"
    log "first run: downloading Kafka $KAFKA_VERSION jars from Maven Central into $LIB ..."
    tmp_lib="$LIB.tmp.$$"
    rm -rf "$tmp_lib"; mkdir -p "$tmp_lib"
    t0=$(now_ms)
    # No -q: Maven prints a line per downloaded file, so a first run visibly makes progress.
    # (sed: Debian's Maven 3.8 prints ANSI resets even with -B; -u keeps the lines flowing.)
    # shellcheck disable=SC2086
    mvn -B -Dstyle.color=never -f "$HERE/pom.xml" -Dkafka.version="$KAFKA_VERSION" ${MAVEN_ARGS_EXTRA:-} \
        dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp_lib" 2>&1 \
        | sed -u -e 's/\x1b\[[0-9;]*m//g' >&2 \
      || { rm -rf "$tmp_lib"; rm -f "$KAFKA_CACHE_DIR/$KAFKA_VERSION/.lock"; rmdir "$KAFKA_CACHE_DIR/$KAFKA_VERSION" 2>/dev/null || true
           die "mvn dependency:copy-dependencies failed (Kafka $KAFKA_VERSION; is that version on Maven Central?)"; }
    [ -f "$tmp_lib/kafka_2.13-$KAFKA_VERSION.jar" ] || { rm -rf "$tmp_lib"; die "kafka_2.13-$KAFKA_VERSION.jar missing after mvn"; }
    touch "$tmp_lib/.complete"
    rm -rf "$LIB"; mv "$tmp_lib" "$LIB"
    log "jars cached: $(find "$LIB" -name '*.jar' | wc -l) jars, $(du -sh "$LIB" | cut -f1), in $(secs_since "$t0")"
  fi
  exec 8>&-
fi
# An explicit, sorted class path (not lib/*): the same string every time, which CDS requires.
CP="$(find "$LIB" -maxdepth 1 -name '*.jar' | LC_ALL=C sort | paste -sd: -)"
check_parent

# ---- 2. config ------------------------------------------------------------------------------------
mkdir -p "$W/data" "$W/logs"
CONF="$W/server.properties"
sed -e "s#@KAFKA_PORT@#$KAFKA_PORT#g" \
    -e "s#@CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" \
    -e "s#@DATA_DIR@#$W/data#g" \
    "$HERE/server.properties" > "$CONF.tmp"
if [ -n "${KAFKA_SERVER_PROPERTIES:-}" ]; then
  { echo; echo "# from KAFKA_SERVER_PROPERTIES"; printf '%s\n' "$KAFKA_SERVER_PROPERTIES" | tr ' ' '\n'; } >> "$CONF.tmp"
fi
mv "$CONF.tmp" "$CONF"
cp "$HERE/log4j2.properties" "$W/log4j2.properties"
LOG_OPTS=(-Dkafka.logs.dir="$W/logs" -Dlog4j2.configurationFile="$W/log4j2.properties")

# Class-data-sharing archive of the broker's classes (JDK 13+ dynamic CDS), kept next to the jars:
# a broker started without one writes it when it exits cleanly (SIGTERM; adds ~2-3 s to that one
# stop, ~50 MB on disk); later JVMs map it and start about twice as fast. A JVM that finds the
# archive unusable (other JDK build, other class path) ignores it (-Xshare:auto).
JSA="$KAFKA_CACHE_DIR/$KAFKA_VERSION/broker-jdk$JAVA_MAJOR.jsa"
JSA_TMP=""
CDS_OPTS=()
if [ "$KAFKA_CDS" = 1 ]; then
  find "$KAFKA_CACHE_DIR/$KAFKA_VERSION" -maxdepth 1 -name '*.jsa.*.tmp' -mmin +60 -delete 2>/dev/null || true
  if [ -s "$JSA" ]; then
    CDS_OPTS=(-Xshare:auto -XX:SharedArchiveFile="$JSA")
  else
    JSA_TMP="$JSA.$$.$RANDOM.tmp"   # the supervisor renames it to $JSA after a clean exit
    CDS_OPTS=(-XX:ArchiveClassesAtExit="$JSA_TMP")
  fi
fi

# ---- 3. format the storage, unless this work dir already holds a formatted broker ----------------
KEEP_FAILED_WORK_DIR=1
if [ -f "$W/data/meta.properties" ]; then
  log "reusing formatted data in $W/data (cluster id $(sed -n 's/^cluster.id=//p' "$W/data/meta.properties"))"
else
  # A Kafka cluster id is 16 random bytes, URL-safe base64 without padding (= StorageTool random-uuid);
  # like Kafka's Uuid.randomUuid(), never one that starts with "-" (it would parse as an option).
  CLUSTER_ID=-
  while [ "${CLUSTER_ID#-}" != "$CLUSTER_ID" ]; do
    CLUSTER_ID="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
  done
  FORMAT_CDS=()
  if [ "$KAFKA_CDS" = 1 ] && [ -s "$JSA" ]; then FORMAT_CDS=(-Xshare:auto -XX:SharedArchiveFile="$JSA"); fi
  t0=$(now_ms)
  java -Xmx128m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC "${FORMAT_CDS[@]}" "${LOG_OPTS[@]}" -Dkafka.log.file=format.log -cp "$CP" \
       kafka.tools.StorageTool format --cluster-id="$CLUSTER_ID" --config="$CONF" \
       > "$W/logs/format.out" 2>&1 \
    || { tail -n 30 "$W/logs/format.out" "$W/logs/format.log" >&2 2>/dev/null || true; die "StorageTool format failed (work dir $W)"; }
  log "storage formatted in $(secs_since "$t0") (cluster id $CLUSTER_ID)"
fi
check_parent

# ---- 4. start the broker under a supervisor -------------------------------------------------------
PDEATH=()
if command -v setpriv >/dev/null; then PDEATH=(setpriv --pdeathsig TERM --); fi
rm -f "$W/kafka.pid" "$W/supervisor.pid" "$W/logs/exit-status"
: > "$W/logs/kafka.out"
t0=$(now_ms)
# shellcheck disable=SC2086
(
  set +e
  trap - EXIT
  trap '' INT HUP
  echo "$BASHPID" > "$W/supervisor.pid"
  "${PDEATH[@]}" java $KAFKA_HEAP_OPTS $KAFKA_JVM_PERFORMANCE_OPTS "${CDS_OPTS[@]}" ${KAFKA_OPTS:-} \
       "${LOG_OPTS[@]}" -cp "$CP" kafka.Kafka "$CONF" >> "$W/logs/kafka.out" 2>&1 < /dev/null &
  jpid=$!
  echo "$jpid" > "$W/kafka.pid"
  remove_work_dir=0
  while alive "$jpid"; do
    if parent_gone; then
      echo "[supervisor] parent process $KAFKA_PARENT_PID is gone: stopping broker $jpid"
      kill -TERM "$jpid" 2>/dev/null
      for _ in $(seq 1 $(( KAFKA_STOP_TIMEOUT * 5 ))); do alive "$jpid" || break; sleep 0.2; done
      alive "$jpid" && kill -KILL "$jpid" 2>/dev/null
      break
    fi
    sleep 0.5
  done
  wait "$jpid" 2>/dev/null
  st=$?
  echo "[supervisor] broker $jpid exited with status $st"
  echo "$st" > "$W/logs/exit-status"
  if [ -n "$JSA_TMP" ]; then
    if [ -s "$JSA_TMP" ] && { [ "$st" = 0 ] || [ "$st" = 143 ]; }; then
      mv -f "$JSA_TMP" "$JSA" && echo "[supervisor] CDS archive written: $JSA"
    else
      rm -f "$JSA_TMP"
    fi
  fi
  [ "$(cat "$W/supervisor.pid" 2>/dev/null)" = "$BASHPID" ] && rm -f "$W/supervisor.pid"
  if parent_gone; then   # the parent is gone: nobody will call stop.sh; clean up like it would
    [ "$(cat "$KAFKA_PID_FILE" 2>/dev/null)" = "$jpid" ] && rm -f "$KAFKA_PID_FILE" "$KAFKA_PID_FILE.workdir"
    [ -f "$W/.temporary" ] && remove_work_dir=1
  fi
  [ "$remove_work_dir" = 1 ] && rm -rf "$W"
  exit 0
) < /dev/null >> "$W/logs/supervisor.log" 2>&1 &
for _ in $(seq 1 100); do [ -s "$W/kafka.pid" ] && break; sleep 0.05; done
PID="$(cat "$W/kafka.pid" 2>/dev/null || true)"
[ -n "$PID" ] || die "broker did not start (see $W/logs)"
mkdir -p "$(dirname "$KAFKA_PID_FILE")"
echo "$PID" > "$KAFKA_PID_FILE"
echo "$W" > "$KAFKA_PID_FILE.workdir"

# ---- 5. wait: process alive, Metadata request answered with >= 1 broker -------------------------
# Metadata v0 request (api key 3, version 0, correlation id 7, client id "ready-probe", no topics);
# the reply starts with size(4) correlation id(4) broker count(4).
metadata_ok() {
  local hex
  # shellcheck disable=SC2016
  hex="$(timeout 3 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "\x00\x00\x00\x19\x00\x03\x00\x00\x00\x00\x00\x07\x00\x0bready-probe\x00\x00\x00\x00" >&3
    head -c 12 <&3 | od -An -tx1 -v' _ "$KAFKA_PORT" 2>/dev/null | tr -d ' \n')" || return 1
  [ "${#hex}" = 24 ] && [ "${hex:8:8}" = 00000007 ] && [ "${hex:16:8}" != 00000000 ]
}
fail() {
  if [ -s "$W/logs/server.log" ]; then
    log "---- tail of $W/logs/server.log ----"
    tail -n 30 "$W/logs/server.log" >&2 2>/dev/null || true
  fi
  if [ -s "$W/logs/kafka.out" ]; then
    log "---- tail of $W/logs/kafka.out ----"
    tail -n 20 "$W/logs/kafka.out" >&2 2>/dev/null || true
  fi
  die "$1 (work dir $W)"
}
deadline=$(( $(date +%s) + KAFKA_START_TIMEOUT ))
until port_open "$KAFKA_PORT" && metadata_ok; do
  check_parent
  if ! alive "$PID"; then
    sleep 0.6   # let the supervisor record the exit status
    fail "broker process $PID exited during start-up (exit status $(cat "$W/logs/exit-status" 2>/dev/null || echo '?'))"
  fi
  [ "$(date +%s)" -lt "$deadline" ] || fail "broker not ready after ${KAFKA_START_TIMEOUT}s"
  sleep 0.2
done

cat > "$W/kafka.env" <<ENV
KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
KAFKA_PORT=$KAFKA_PORT
KAFKA_CONTROLLER_PORT=$KAFKA_CONTROLLER_PORT
KAFKA_PID=$PID
KAFKA_WORK_DIR=$W
KAFKA_VERSION=$KAFKA_VERSION
ENV
STARTED=1
log "Kafka $KAFKA_VERSION ready on 127.0.0.1:$KAFKA_PORT in $(secs_since "$t0") (pid $PID, work dir $W)"
if [ "$KAFKA_PARENT_PID" != 0 ]; then
  log "it stops when process $KAFKA_PARENT_PID ($(cmdline "$KAFKA_PARENT_PID" | cut -c1-60)) exits, or with stop.sh; KAFKA_PARENT_PID=0 keeps it running"
fi
{ echo "KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT"; echo "KAFKA_PID=$PID"; echo "KAFKA_WORK_DIR=$W"; } 2>/dev/null || true
