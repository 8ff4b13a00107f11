#!/usr/bin/env bash
# The kafka-acls service of docker/compose.production.yaml (one-shot, apache/kafka image): grants the
# application principal the ACLs of engage-acls.txt with kafka-acls.sh, as the admin, then lists them.
#
# Adding an ACL that exists changes nothing, so the service may run on every `up`. It does not remove
# ACLs that are no longer in the file (after a change of ENGAGE_WORKER_ID, say): remove those by hand
# with kafka-acls.sh --remove (docs/security.md).
set -euo pipefail

kafka_home="${KAFKA_HOME:-/opt/kafka}"
secrets="${SECRETS_MOUNT:-/run/secrets}"
acl_file="${ACL_FILE:-/opt/engage/engage-acls.txt}"
bootstrap="${ENGAGE_KAFKA_HOST:-kafka}:${ENGAGE_KAFKA_PORT:-9092}"
admin_user="${KAFKA_SUPER_USERS#User:}"
principal="User:${ENGAGE_KAFKA_USERNAME:-engage}"
worker_id="${ENGAGE_WORKER_ID:-engage-worker}"

say() { printf 'compose-acls: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

[ -r "$secrets/kafka_admin_password" ] || die "the secret kafka_admin_password is missing or unreadable by uid $(id -u)"
IFS= read -r admin_password < "$secrets/kafka_admin_password" || true
[ -n "$admin_password" ] || die "the secret kafka_admin_password is empty"

umask 077
config="$(mktemp)"
trap 'rm -f "$config"' EXIT
cat > "$config" <<ADMIN
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$admin_user" password="$admin_password";
ADMIN

acls=("$kafka_home/bin/kafka-acls.sh" --bootstrap-server "$bootstrap" --command-config "$config")
granted=0
while read -r resource pattern name operations; do
  if [ -z "${resource:-}" ] || [[ "$resource" == \#* ]]; then continue; fi
  name="${name//\{worker_id\}/$worker_id}"
  ops=()
  IFS=, read -r -a listed <<< "$operations"
  for op in "${listed[@]}"; do ops+=(--operation "$op"); done
  "${acls[@]}" --add --allow-principal "$principal" "${ops[@]}" \
    "--$resource" "$name" --resource-pattern-type "$pattern" >/dev/null \
    || die "kafka-acls.sh could not grant $principal $operations on $resource $pattern $name"
  granted=$((granted + ${#listed[@]}))
done < "$acl_file"
say "granted $principal $granted ACLs from $(basename "$acl_file")"
"${acls[@]}" --list --principal "$principal"
