#!/usr/bin/env bash
# Entry point of the kafka service under docker/compose.production.yaml (the apache/kafka image).
#
# It gives the broker its logins and its SCRAM users, then hands over to the image's own start
# (/etc/kafka/docker/run), which turns the KAFKA_* variables into server.properties:
#   - a JAAS file with the admin's logins (the image drops any KAFKA_* value holding "=", so a
#     sasl.jaas.config cannot come from the environment), named by KAFKA_OPTS as the image expects;
#   - on an empty volume, the storage formatted with the SCRAM-SHA-512 users admin and engage, which
#     must exist before the broker starts (the image's own format then finds the volume formatted);
#   - a client configuration for the healthcheck, as the admin.
# Passwords come from the compose secrets kafka_admin_password and kafka_engage_password; this
# script writes them only to files inside the container readable by its user alone.
set -euo pipefail

secrets="${SECRETS_MOUNT:-/run/secrets}"
kafka_home="${KAFKA_HOME:-/opt/kafka}"
config_dir="$kafka_home/config"
admin_user="${KAFKA_SUPER_USERS#User:}"
app_user="${ENGAGE_KAFKA_USERNAME:-engage}"

say() { printf 'compose-sasl-start: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

first_line() {
  [ -r "$1" ] || die "the secret $1 is missing or unreadable by uid $(id -u); see docs/security.md"
  local value=""
  IFS= read -r value < "$1" || true
  [[ "$value" =~ ^[A-Za-z0-9._~-]{16,}$ ]] \
    || die "the secret $1 must be one line of 16 or more letters, digits or . _ ~ - (python3 -c 'import secrets; print(secrets.token_urlsafe(24))')"
  printf '%s' "$value"
}

[[ "$admin_user" =~ ^[A-Za-z0-9._-]+$ ]] || die "KAFKA_SUPER_USERS must name one user, as User:<name>"
admin_password="$(first_line "$secrets/kafka_admin_password")"
app_password="$(first_line "$secrets/kafka_engage_password")"

umask 077
jaas="$config_dir/engage-jaas.conf"
cat > "$jaas" <<JAAS
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
export KAFKA_OPTS="-Djava.security.auth.login.config=$jaas${KAFKA_OPTS:+ $KAFKA_OPTS}"

cat > "$config_dir/engage-admin.properties" <<ADMIN
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$admin_user" password="$admin_password";
ADMIN

if [ ! -f "$KAFKA_LOG_DIRS/meta.properties" ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  cat > "$work/format.properties" <<PROPS
process.roles=$KAFKA_PROCESS_ROLES
node.id=$KAFKA_NODE_ID
controller.quorum.voters=$KAFKA_CONTROLLER_QUORUM_VOTERS
controller.listener.names=$KAFKA_CONTROLLER_LISTENER_NAMES
listeners=$KAFKA_LISTENERS
listener.security.protocol.map=$KAFKA_LISTENER_SECURITY_PROTOCOL_MAP
inter.broker.listener.name=$KAFKA_INTER_BROKER_LISTENER_NAME
log.dirs=$KAFKA_LOG_DIRS
PROPS
  # An @file, so that no password shows on a command line.
  printf '%s\n' \
    --add-scram "SCRAM-SHA-512=[name=$admin_user,password=$admin_password]" \
    --add-scram "SCRAM-SHA-512=[name=$app_user,password=$app_password]" \
    > "$work/users.args"
  "$kafka_home/bin/kafka-storage.sh" format -t "$CLUSTER_ID" -c "$work/format.properties" "@$work/users.args" \
    || die "formatting $KAFKA_LOG_DIRS with the SCRAM users failed"
  rm -rf "$work"
  trap - EXIT
  say "formatted $KAFKA_LOG_DIRS with the SCRAM-SHA-512 users $admin_user and $app_user"
fi

exec "${IMAGE_RUN:-/etc/kafka/docker/run}" "$@"
