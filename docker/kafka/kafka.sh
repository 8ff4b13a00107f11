#!/usr/bin/env bash
# A real single-node Apache Kafka (KRaft, broker and controller in one JVM) on 127.0.0.1,
# run from the jars Maven fetches from Maven Central. For developers and CI; a force
# deploys with docker/compose.yaml instead.
#
#   docker/kafka/kafka.sh fetch     fetch the jars once into the cache
#   docker/kafka/kafka.sh start     format storage (first time), start, wait until an admin client answers
#   docker/kafka/kafka.sh stop      SIGTERM the pid we started, SIGKILL only if it hangs
#   docker/kafka/kafka.sh status    exit 0 when our broker is running
#
# Settings (environment):
#   KAFKA_PORT             client port (default 9092); the controller listens on KAFKA_PORT+1
#   KAFKA_DATA_DIR         log dirs, pid and logs (default: <repo>/var/kafka)
#   KAFKA_CACHE_DIR        where the jars go (default: ${XDG_CACHE_HOME:-~/.cache}/engage-kafka)
#   KAFKA_HEAP_OPTS        JVM heap (default -Xms256m -Xmx512m)
#   KAFKA_START_TIMEOUT    seconds to wait for the broker to answer (default 90)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
port="${KAFKA_PORT:-9092}"
controller_port="$((port + 1))"
data_dir="${KAFKA_DATA_DIR:-$repo/var/kafka}"
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")"
cache_dir="${KAFKA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/engage-kafka}/$version"
libs="$cache_dir/libs"
heap="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
timeout="${KAFKA_START_TIMEOUT:-90}"
pid_file="$data_dir/kafka.pid"

say() { printf 'kafka.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

need_tools() {
  command -v java >/dev/null 2>&1 || die "Java 17 or newer is not installed. Install it (Debian: apt-get install openjdk-17-jre-headless) or deploy with docker/compose.yaml."
  local major
  major="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/.*java.specification.version = \([0-9]*\).*/\1/p')"
  [ "${major:-0}" -ge 17 ] || die "Kafka $version needs Java 17 or newer; found Java ${major:-unknown}. Install a newer JDK or deploy with docker/compose.yaml."
}

fetch() {
  need_tools
  if [ -f "$libs/.complete" ]; then return 0; fi
  command -v mvn >/dev/null 2>&1 || die "Maven is not installed and the Kafka jars are not cached in $libs. Install Maven (Debian: apt-get install maven) or deploy with docker/compose.yaml."
  say "fetching Apache Kafka $version jars from Maven Central into $libs (first time only)"
  mkdir -p "$libs"
  mvn -B -q -f "$here/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$libs" \
    || die "Maven could not fetch org.apache.kafka:kafka_2.13:$version; see the output above."
  touch "$libs/.complete"
}

running() {
  [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null
}

ready() {
  java -cp "$libs/*" "$here/Ready.java" "127.0.0.1:$port" >/dev/null 2>&1
}

write_config() {
  cat > "$data_dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$data_dir/logs
num.partitions=4
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
log.retention.hours=-1
PROPS
}

start() {
  fetch
  if running; then
    say "already running (pid $(cat "$pid_file")) on 127.0.0.1:$port"
    return 0
  fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "port $port on 127.0.0.1 is taken by another process; stop it or set KAFKA_PORT."
  fi
  mkdir -p "$data_dir/logs" "$data_dir/server-logs"
  write_config
  if [ ! -f "$data_dir/logs/meta.properties" ]; then
    local cluster_id
    cluster_id="$(java -cp "$libs/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
    java -cp "$libs/*" -Dlog4j2.configurationFile="$here/log4j2.properties" \
         -Dkafka.logs.dir="$data_dir/server-logs" \
         kafka.tools.StorageTool format -t "$cluster_id" -c "$data_dir/server.properties" -g \
         >"$data_dir/server-logs/format.log" 2>&1 \
      || die "formatting KRaft storage in $data_dir/logs failed; see $data_dir/server-logs/format.log"
  fi
  # shellcheck disable=SC2086
  nohup java $heap -XX:+UseG1GC -Djava.awt.headless=true \
      -Dlog4j2.configurationFile="$here/log4j2.properties" \
      -Dkafka.logs.dir="$data_dir/server-logs" \
      -cp "$libs/*" kafka.Kafka "$data_dir/server.properties" \
      >"$data_dir/server-logs/stdout.log" 2>&1 &
  echo $! > "$pid_file"
  local waited=0
  until ready; do
    running || die "the broker exited while starting; see $data_dir/server-logs/server.log and stdout.log"
    waited=$((waited + 1))
    [ "$waited" -lt "$timeout" ] || { stop; die "the broker did not answer within ${timeout}s; see $data_dir/server-logs/server.log"; }
    sleep 1
  done
  say "Apache Kafka $version ready on 127.0.0.1:$port (pid $(cat "$pid_file"), data $data_dir)"
}

stop() {
  if ! running; then
    rm -f "$pid_file"
    say "not running"
    return 0
  fi
  local pid
  pid="$(cat "$pid_file")"
  kill -TERM "$pid"
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pid_file"; say "stopped (pid $pid)"; return 0; }
    sleep 0.5
  done
  say "broker pid $pid did not stop within 30s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pid_file"
}

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  status) if running; then say "running (pid $(cat "$pid_file")) on 127.0.0.1:$port"; else say "not running"; exit 1; fi ;;
  *) die "usage: $0 fetch|start|stop|status" ;;
esac
