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
#   KAFKA_SECURITY         plaintext (default: no authentication, as before) or sasl (see below)
#
# KAFKA_SECURITY=sasl starts the same broker with authentication and authorisation: one
# SASL_PLAINTEXT listener for clients (SCRAM-SHA-512), the controller listener behind SASL/PLAIN,
# KRaft's StandardAuthorizer with allow.everyone.if.no.acl.found=false, the admin as the only super
# user and the application principal allowed exactly what docker/kafka/engage-acls.txt lists
# (docs/security.md). Its settings, all from the environment and never written into the repository:
#   KAFKA_ADMIN_USER       the broker's own super user (default admin)
#   KAFKA_ADMIN_PASSWORD   its password (required); fixed when the data dir is first formatted
#   ENGAGE_KAFKA_USERNAME  the application principal (default engage), as the Python clients read it
#   ENGAGE_KAFKA_PASSWORD  its password (required; or ENGAGE_KAFKA_PASSWORD_FILE, a file holding it);
#                          set again at every start, so a restart with a new one rotates it
#   ENGAGE_WORKER_ID       the Faust app id (default engage-worker): its group and topic prefix
# Names and passwords may hold letters, digits and . _ ~ - only (passwords: 16 or more), e.g.
#   python3 -c 'import secrets; print(secrets.token_urlsafe(24))'
# A data dir formatted in one mode is refused in the other: SASL users exist only from the format,
# and an open listener on a secured log would expose it.
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
security="${KAFKA_SECURITY:-plaintext}"
mode_file="$data_dir/security"

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

# Names and passwords go inside JAAS quotes and StorageTool's [name=...,password=...]: nothing there
# may need escaping.
safe() { [[ "$1" =~ ^[A-Za-z0-9._~-]+$ ]]; }

sasl_settings() {
  admin_user="${KAFKA_ADMIN_USER:-admin}"
  admin_password="${KAFKA_ADMIN_PASSWORD:-}"
  app_user="${ENGAGE_KAFKA_USERNAME:-engage}"
  app_password="${ENGAGE_KAFKA_PASSWORD:-}"
  if [ -z "$app_password" ] && [ -n "${ENGAGE_KAFKA_PASSWORD_FILE:-}" ]; then
    [ -r "$ENGAGE_KAFKA_PASSWORD_FILE" ] || die "ENGAGE_KAFKA_PASSWORD_FILE names $ENGAGE_KAFKA_PASSWORD_FILE, which cannot be read."
    IFS= read -r app_password < "$ENGAGE_KAFKA_PASSWORD_FILE" || true
  fi
  worker_id="${ENGAGE_WORKER_ID:-engage-worker}"
  [ -n "$admin_password" ] || die "KAFKA_SECURITY=sasl needs KAFKA_ADMIN_PASSWORD, the password of the broker's super user $admin_user; export one (python3 -c 'import secrets; print(secrets.token_urlsafe(24))')."
  [ -n "$app_password" ] || die "KAFKA_SECURITY=sasl needs ENGAGE_KAFKA_PASSWORD (or ENGAGE_KAFKA_PASSWORD_FILE), the password of the application principal $app_user; export the one the clients use."
  local pair name variable value
  for pair in KAFKA_ADMIN_USER:admin_user ENGAGE_KAFKA_USERNAME:app_user ENGAGE_WORKER_ID:worker_id \
              KAFKA_ADMIN_PASSWORD:admin_password ENGAGE_KAFKA_PASSWORD:app_password; do
    name="${pair%%:*}"
    variable="${pair#*:}"
    value="${!variable}"
    safe "$value" || die "$name may hold letters, digits and . _ ~ - only; choose another (python3 -c 'import secrets; print(secrets.token_urlsafe(24))')."
    [[ "$name" != *_PASSWORD ]] || [ "${#value}" -ge 16 ] \
      || die "$name is shorter than 16 characters; choose a longer one (python3 -c 'import secrets; print(secrets.token_urlsafe(24))')."
  done
  [ "$admin_user" != "$app_user" ] || die "ENGAGE_KAFKA_USERNAME must not be the super user $admin_user: the application gets only its ACLs."
}

# The mode a data dir was formatted in; a broker is never started in the other one.
check_mode() {
  local formatted_sasl=no
  if [ -f "$mode_file" ] && [ "$(cat "$mode_file")" = sasl ]; then formatted_sasl=yes; fi
  if [ "$security" = sasl ] && [ "$formatted_sasl" = no ] && [ -f "$data_dir/logs/meta.properties" ]; then
    die "$data_dir was formatted without SASL users, so KAFKA_SECURITY=sasl cannot start it; set KAFKA_DATA_DIR to a new folder (or delete $data_dir, and its events with it)."
  fi
  if [ "$security" != sasl ] && [ "$formatted_sasl" = yes ]; then
    die "$data_dir holds a broker formatted with KAFKA_SECURITY=sasl; start it with KAFKA_SECURITY=sasl and its passwords (without them its topics would be open to anyone)."
  fi
}

running() {
  [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null
}

ready() {
  if [ "$security" = sasl ]; then
    KAFKA_CLIENT_USERNAME="$admin_user" KAFKA_CLIENT_PASSWORD="$admin_password" \
      java -cp "$libs/*" "$here/Ready.java" "127.0.0.1:$port" >/dev/null 2>&1
  else
    java -cp "$libs/*" "$here/Ready.java" "127.0.0.1:$port" >/dev/null 2>&1
  fi
}

# Sets the application's password and makes its ACLs those of engage-acls.txt (as the super user).
grant() {
  KAFKA_CLIENT_USERNAME="$admin_user" KAFKA_CLIENT_PASSWORD="$admin_password" \
  KAFKA_APP_USERNAME="$app_user" KAFKA_APP_PASSWORD="$app_password" KAFKA_APP_WORKER_ID="$worker_id" \
    java -cp "$libs/*" "$here/Access.java" "127.0.0.1:$port" "$here/engage-acls.txt" \
    >"$data_dir/server-logs/access.log" 2>&1 \
    || die "setting the password and ACLs of $app_user failed; see $data_dir/server-logs/access.log"
  say "$(tail -n 1 "$data_dir/server-logs/access.log")"
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
  if [ "$security" = sasl ]; then
    # Each key once: the SASL lines replace the plaintext ones they name.
    local line
    local -A replaced=()
    while IFS= read -r line; do replaced["${line%%=*}"]=1; done < <(sasl_properties)
    {
      while IFS= read -r line; do
        [ -n "${replaced["${line%%=*}"]:-}" ] || printf '%s\n' "$line"
      done < "$data_dir/server.properties"
      sasl_properties
    } > "$data_dir/server.properties.new"
    mv "$data_dir/server.properties.new" "$data_dir/server.properties"
    write_jaas
  fi
}

# KAFKA_SECURITY=sasl: what differs from the plaintext broker. No secret here (they are in jaas.conf).
sasl_properties() {
  cat <<SASL_PROPS
listeners=SASL_PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=SASL_PLAINTEXT://127.0.0.1:$port
inter.broker.listener.name=SASL_PLAINTEXT
listener.security.protocol.map=CONTROLLER:SASL_PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.controller.sasl.enabled.mechanisms=PLAIN
sasl.mechanism.controller.protocol=PLAIN
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:$admin_user
allow.everyone.if.no.acl.found=false
SASL_PROPS
}

# The broker's own logins, readable by its owner only. SCRAM users live in the metadata log, which the
# controller listener serves, so that listener cannot use SCRAM itself: it takes PLAIN, with the
# admin as its only user.
write_jaas() {
  (
    umask 077
    cat > "$data_dir/jaas.conf" <<JAAS
sasl_plaintext.KafkaServer {
  org.apache.kafka.common.security.scram.ScramLoginModule required
  username="$admin_user"
  password="$admin_password";
};
controller.KafkaServer {
  org.apache.kafka.common.security.plain.PlainLoginModule required
  username="$admin_user"
  password="$admin_password"
  user_$admin_user="$admin_password";
};
JAAS
  )
}

start() {
  if [ "$security" = sasl ]; then sasl_settings; fi
  check_mode
  fetch
  if running; then
    say "already running (pid $(cat "$pid_file")) on 127.0.0.1:$port"
    # The application's ACLs follow ENGAGE_WORKER_ID, which may have changed since the broker started.
    if [ "$security" = sasl ]; then grant; fi
    return 0
  fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "port $port on 127.0.0.1 is taken by another process; stop it or set KAFKA_PORT."
  fi
  mkdir -p "$data_dir/logs" "$data_dir/server-logs"
  write_config
  if [ ! -f "$data_dir/logs/meta.properties" ]; then
    local cluster_id formatted=yes
    local users=()
    cluster_id="$(java -cp "$libs/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
    if [ "$security" = sasl ]; then
      # The SCRAM users go into the metadata log at format time. StorageTool reads them from an
      # @file (printf is a shell builtin), so no password shows in the process list.
      (
        umask 077
        printf '%s\n' \
          --add-scram "SCRAM-SHA-512=[name=$admin_user,password=$admin_password]" \
          --add-scram "SCRAM-SHA-512=[name=$app_user,password=$app_password]" \
          > "$data_dir/format.args"
      )
      users=("@$data_dir/format.args")
    fi
    java -cp "$libs/*" -Dlog4j2.configurationFile="$here/log4j2.properties" \
         -Dkafka.logs.dir="$data_dir/server-logs" \
         kafka.tools.StorageTool format -t "$cluster_id" -c "$data_dir/server.properties" -g "${users[@]}" \
         >"$data_dir/server-logs/format.log" 2>&1 \
      || formatted=no
    rm -f "$data_dir/format.args"
    [ "$formatted" = yes ] || die "formatting KRaft storage in $data_dir/logs failed; see $data_dir/server-logs/format.log"
    if [ "$security" = sasl ]; then echo sasl > "$mode_file"; fi
  fi
  local login=()
  if [ "$security" = sasl ]; then login=("-Djava.security.auth.login.config=$data_dir/jaas.conf"); fi
  # shellcheck disable=SC2086
  nohup java $heap -XX:+UseG1GC -Djava.awt.headless=true \
      -Dlog4j2.configurationFile="$here/log4j2.properties" \
      -Dkafka.logs.dir="$data_dir/server-logs" "${login[@]}" \
      -cp "$libs/*" kafka.Kafka "$data_dir/server.properties" \
      >"$data_dir/server-logs/stdout.log" 2>&1 &
  echo $! > "$pid_file"
  local waited=0 answer
  while true; do
    answer=0
    ready || answer=$?
    [ "$answer" -ne 0 ] || break
    if [ "$answer" -eq 2 ]; then
      stop
      die "the broker refused $admin_user's password: KAFKA_ADMIN_PASSWORD must be the one $data_dir was formatted with."
    fi
    running || die "the broker exited while starting; see $data_dir/server-logs/server.log and stdout.log"
    waited=$((waited + 1))
    [ "$waited" -lt "$timeout" ] || { stop; die "the broker did not answer within ${timeout}s; see $data_dir/server-logs/server.log"; }
    sleep 1
  done
  if [ "$security" = sasl ]; then grant; fi
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

case "$security" in
  plaintext) unset KAFKA_CLIENT_USERNAME KAFKA_CLIENT_PASSWORD ;;
  sasl) ;;
  *) die "KAFKA_SECURITY must be plaintext (the default) or sasl, not '$security'." ;;
esac

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  status) if running; then say "running (pid $(cat "$pid_file")) on 127.0.0.1:$port"; else say "not running"; exit 1; fi ;;
  *) die "usage: $0 fetch|start|stop|status" ;;
esac
