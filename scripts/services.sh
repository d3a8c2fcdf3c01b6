#!/usr/bin/env bash
# Native test services for machines without Docker (docs/architecture.md, contract 8):
#   MySQL   MariaDB from Debian's packages, own data directory, 127.0.0.1:$LRT_MYSQL_PORT, TLS only
#           (a CA and server certificate made at start-up in .services/mysql/tls/)
#   Kafka   Apache Kafka 4.x, one KRaft node (broker + controller) from its Maven Central jars
#   AWS     LocalStack's open-source core (PyPI) run natively in a project-local virtualenv on
#           Python >= 3.13, 127.0.0.1:$LRT_AWS_PORT
#   Schema registry  Apicurio Registry 2.4 (Confluent-compatible API at /apis/ccompat/v7, in-memory
#           storage) built from its Maven Central jars, 127.0.0.1:$LRT_REGISTRY_PORT
#
#   scripts/services.sh up       start what is not running (installing where needed); safe twice
#   scripts/services.sh up mysql start only the services named (mysql, kafka, aws, registry)
#   scripts/services.sh down     stop what `up` started (by pid file), nothing else
#   scripts/services.sh status   one line per service
#   scripts/services.sh env      export lines for eval: DB_* (DB_TLS=verify, DB_TLS_CA: the local
#                                MySQL takes TLS connections only), KAFKA_BROKERS, AWS_*,
#                                SCHEMA_REGISTRY_URL
#
# State lives in .services/ (data, logs, pid files); delete it for a clean slate.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HERE="$ROOT/scripts/services"
STATE="${LRT_SERVICES_DIR:-$ROOT/.services}"
MYSQL_PORT="${LRT_MYSQL_PORT:-3307}"
KAFKA_PORT="${LRT_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${LRT_KAFKA_CONTROLLER_PORT:-9093}"
AWS_PORT="${LRT_AWS_PORT:-4566}"
REGISTRY_PORT="${LRT_REGISTRY_PORT:-8081}"
DB_NAME="${LRT_DB_NAME:-lambda_realtime}"
DB_USER="${LRT_DB_USER:-lrt}"
DB_PASSWORD="${LRT_DB_PASSWORD:-lrt-local-password}"
READY_TIMEOUT="${LRT_READY_TIMEOUT:-120}"

log() { printf 'services: %s\n' "$*" >&2; }
die() { printf 'services: error: %s\n' "$*" >&2; exit 1; }

pid_alive() { local f="$1"; [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; }

# wait_for NAME LOGFILE PIDFILE CHECK...: polls CHECK until it succeeds, the process dies, or time runs out.
wait_for() {
  local name="$1" logfile="$2" pidfile="$3"; shift 3
  local deadline=$((SECONDS + READY_TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    if ! pid_alive "$pidfile"; then
      tail -n 30 "$logfile" >&2 || true
      die "$name exited during start-up; see $logfile"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 30 "$logfile" >&2 || true
      die "$name did not answer within ${READY_TIMEOUT}s; see $logfile"
    fi
    sleep 0.5
  done
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "need root to run: $* (install it yourself, or start Docker and use testcontainers)"
  fi
}

apt_install() {
  log "installing Debian packages: $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# A service this checkout did not start already answers on our port with our credentials (another
# checkout's, say): use it rather than fail on a taken port; `down` leaves it alone.
adopt() { log "$1 already answering on :$2 (not started by this checkout: used as is, not stopped by down)"; }

# Start a daemon detached from this shell (survives the script), recording its pid.
spawn() {
  local pidfile="$1" logfile="$2"; shift 2
  nohup setsid "$@" >>"$logfile" 2>&1 </dev/null &
  echo $! >"$pidfile"
}

# ---------------------------------------------------------------------------------------- MySQL
# As RDS runs it (docs/architecture.md, "Database access"): TLS only (require_secure_transport), with
# a certificate of a CA made here (scripts/services/make-certs.sh) that clients verify, host name
# included (DB_TLS=verify, DB_TLS_CA); and the server settings RDS's parameter group pins, in
# $MYSQL_DIR/my.cnf (from scripts/services/mysql-server.cnf), so the functions send no session SET.
# A running server of this checkout started with other settings (an older my.cnf, or none, or
# other certificates) is restarted with these.
MYSQL_DIR="$STATE/mysql"
MYSQL_SOCK="$MYSQL_DIR/mysqld.sock"
MYSQL_TLS="$MYSQL_DIR/tls"
# What `env` hands out as DB_HOST: a name, which mysql2 checks the certificate against. (Given an
# IP address, mysql2 sends no server name and Node checks the certificate for `localhost` instead.)
# The certificate carries it and 127.0.0.1, which tests reach through proxies.
MYSQL_HOST=localhost

mysql_admin() { mariadb --no-defaults --protocol=socket --socket="$MYSQL_SOCK" -uroot "$@"; }
mysql_query() {
  mariadb --no-defaults --protocol=tcp -h"$MYSQL_HOST" -P"$MYSQL_PORT" -u"$DB_USER" -p"$DB_PASSWORD" \
    --ssl --ssl-ca="$MYSQL_TLS/ca.pem" --ssl-verify-server-cert -N -e "$1" "$DB_NAME"
}
mysql_ready() { mysql_query 'SELECT 1'; }

# my.cnf: the settings RDS pins (scripts/services/mysql-server.cnf, shared with MySQL in Docker),
# then this server's TLS files and sizes.
mysql_config() {
  cat "$HERE/mysql-server.cnf"
  cat <<EOF
ssl-ca=$MYSQL_TLS/ca.pem
ssl-cert=$MYSQL_TLS/server-cert.pem
ssl-key=$MYSQL_TLS/server-key.pem
skip-name-resolve
innodb-buffer-pool-size=256M
max-connections=500
innodb-lock-wait-timeout=10
EOF
}

mysql_up() {
  command -v openssl >/dev/null || apt_install openssl
  mkdir -p "$MYSQL_DIR"
  bash "$HERE/make-certs.sh" "$MYSQL_TLS" "$MYSQL_HOST" 127.0.0.1
  local config; config="$(mysql_config)"
  if pid_alive "$MYSQL_DIR/pid"; then
    if [ "$config" = "$(cat "$MYSQL_DIR/my.cnf" 2>/dev/null)" ] && mysql_ready >/dev/null 2>&1; then
      log "mysql already running on :$MYSQL_PORT"
      return
    fi
    log "mysql (pid $(cat "$MYSQL_DIR/pid")) runs with other settings or certificates: restarting it"
    stop MySQL "$MYSQL_DIR/pid"
  fi
  if mysql_ready >/dev/null 2>&1; then adopt mysql "$MYSQL_PORT"; return; fi
  # Taken by a server whose certificate this checkout's CA does not verify (another checkout's, or
  # one without TLS): clients could not use it, and a second server could not bind the port.
  if (exec 3<>"/dev/tcp/127.0.0.1/$MYSQL_PORT") 2>/dev/null; then
    die "something already listens on :$MYSQL_PORT, and it is not a MySQL this checkout's CA" \
      "($MYSQL_TLS/ca.pem) verifies: set LRT_SERVICES_DIR to the .services of the checkout that" \
      "started it, or LRT_MYSQL_PORT to a free port"
  fi
  command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || apt_install mariadb-server mariadb-client
  local mariadbd; mariadbd="$(command -v mariadbd || echo /usr/sbin/mariadbd)"
  local fresh=0
  if [ ! -d "$MYSQL_DIR/data/mysql" ]; then
    log "initialising MariaDB data directory"
    mariadb-install-db --no-defaults --datadir="$MYSQL_DIR/data" --user="$(id -un)" \
      --auth-root-authentication-method=normal --skip-test-db >"$MYSQL_DIR/install.log" 2>&1 ||
      die "mariadb-install-db failed; see $MYSQL_DIR/install.log"
    fresh=1
  fi
  printf '%s\n' "$config" >"$MYSQL_DIR/my.cnf"
  : >"$MYSQL_DIR/server.log"
  # Paths and the port on the command line (test/reliability/harness.ts finds the server by its
  # --port), the server settings in my.cnf.
  spawn "$MYSQL_DIR/pid" "$MYSQL_DIR/server.log" "$mariadbd" --defaults-file="$MYSQL_DIR/my.cnf" \
    --datadir="$MYSQL_DIR/data" --socket="$MYSQL_SOCK" --port="$MYSQL_PORT" --bind-address=127.0.0.1 \
    --pid-file="$MYSQL_DIR/mysqld.pid" --log-error="$MYSQL_DIR/server.log" --user="$(id -un)"
  wait_for MySQL "$MYSQL_DIR/server.log" "$MYSQL_DIR/pid" mysql_admin -e 'SELECT 1'
  if [ "$fresh" = 1 ] || ! mysql_ready >/dev/null 2>&1; then
    # A throwaway local server: the project user may create schemas and users (tests rotate passwords).
    mysql_admin <<SQL
CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$DB_USER'@'%' IDENTIFIED BY '$DB_PASSWORD';
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'%' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'localhost' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL
  fi
  wait_for MySQL "$MYSQL_DIR/server.log" "$MYSQL_DIR/pid" mysql_ready
  log "mysql ready on $MYSQL_HOST:$MYSQL_PORT, TLS only ($(mysql_query 'SELECT VERSION()'), CA $MYSQL_TLS/ca.pem)"
}

# ---------------------------------------------------------------------------------------- Kafka
KAFKA_DIR="$STATE/kafka"

kafka_ready() { python3 "$HERE/kafka_ready.py" 127.0.0.1 "$KAFKA_PORT"; }

kafka_up() {
  if pid_alive "$KAFKA_DIR/pid" && kafka_ready; then log "kafka already running on :$KAFKA_PORT"; return; fi
  if kafka_ready; then adopt kafka "$KAFKA_PORT"; return; fi
  { command -v java && command -v javac; } >/dev/null || apt_install openjdk-17-jdk-headless
  mkdir -p "$KAFKA_DIR/logs"
  local stamp="$KAFKA_DIR/libs/.resolved-$(cksum <"$HERE/kafka-pom.xml" | cut -d' ' -f1)"
  if [ ! -f "$stamp" ]; then
    command -v mvn >/dev/null || apt_install maven
    log "resolving Kafka jars from Maven Central (scripts/services/kafka-pom.xml)"
    rm -rf "$KAFKA_DIR/libs"
    mvn -q -B -f "$HERE/kafka-pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory="$KAFKA_DIR/libs" >"$KAFKA_DIR/maven.log" 2>&1 ||
      { tail -n 30 "$KAFKA_DIR/maven.log" >&2; die "resolving Kafka jars failed; see $KAFKA_DIR/maven.log"; }
    touch "$stamp"
  fi
  cat >"$KAFKA_DIR/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DIR/data
num.partitions=3
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
  local cp="$KAFKA_DIR/libs/*"
  if [ ! -f "$KAFKA_DIR/data/meta.properties" ]; then
    log "formatting Kafka storage (KRaft)"
    local cluster_id; cluster_id="$(java -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)"
    java -cp "$cp" kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_DIR/server.properties" \
      >"$KAFKA_DIR/format.log" 2>&1 || die "formatting Kafka storage failed; see $KAFKA_DIR/format.log"
  fi
  : >"$KAFKA_DIR/logs/server.log"
  spawn "$KAFKA_DIR/pid" "$KAFKA_DIR/logs/stdout.log" java -Xms256m -Xmx768m -XX:+UseG1GC \
    -Djava.awt.headless=true -Dkafka.logs.dir="$KAFKA_DIR/logs" \
    -Dlog4j2.configurationFile="$HERE/kafka-log4j2.properties" \
    -cp "$cp" kafka.Kafka "$KAFKA_DIR/server.properties"
  wait_for Kafka "$KAFKA_DIR/logs/server.log" "$KAFKA_DIR/pid" kafka_ready
  log "kafka ready on 127.0.0.1:$KAFKA_PORT ($(basename "$(ls "$KAFKA_DIR"/libs/kafka_2.13-*.jar)" .jar))"
}

# ------------------------------------------------------------------------------- AWS emulator
# LocalStack's open-source core (PyPI: localstack-core, scripts/services/localstack-requirements.txt)
# run on the host, not in Docker, by its runtime's own entry point, `python -m
# localstack.runtime.main` (localstack-core has no `localstack start` CLI), through
# scripts/services/localstack_main.py, which only moves its S3 store. It writes only in $LS_DIR:
#   OVERRIDE_IN_DOCKER=0      host mode: its directories are laid out under FILESYSTEM_ROOT
#   FILESYSTEM_ROOT           its /var/lib/localstack, /etc/localstack, /usr/lib/localstack, caches
#   TMPDIR                    Python's temporary files (LocalStack logs a deprecation warning for
#                             an old meaning of this name of its own; expected, and harmless)
#   XDG_CACHE_HOME            the plugin index (plux) that would go to ~/.cache
#   CONFIG_DIR                its profile directory (~/.localstack), so none of the user's is read
#   GATEWAY_SERVER=hypercorn  the default server (twisted) binds 0.0.0.0 whatever GATEWAY_LISTEN says
#   DNS_ADDRESS=0             no DNS server (it would try port 53)
#   LRT_S3_STORAGE_DIR        S3's object store, otherwise fixed at /tmp/localstack-s3-storage
#   DISABLE_EVENTS=1 SKIP_SSL_CERT_DOWNLOAD=1   nothing sent to or fetched from the internet
# SERVICES: the functions use Secrets Manager (which brings KMS, Lambda, S3 and STS with it); logs,
# CloudWatch, SNS and SQS are what the stack's alarms touch. Each loads when first called.
LS_DIR="$STATE/localstack"
LS_REQUIREMENTS="$HERE/localstack-requirements.txt"
LS_SERVICES="secretsmanager,logs,cloudwatch,sns,sqs"

# Ready when a real Secrets Manager call answers (the first call also loads that service).
aws_ready() {
  python3 - "$AWS_PORT" <<'PY'
import json, sys, urllib.request
req = urllib.request.Request(
    f"http://127.0.0.1:{sys.argv[1]}/", data=b"{}", method="POST",
    headers={"X-Amz-Target": "secretsmanager.ListSecrets", "Content-Type": "application/x-amz-json-1.1",
             "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/secretsmanager/aws4_request"})
with urllib.request.urlopen(req, timeout=3) as r:
    json.load(r)["SecretList"]
PY
}

# A Python that LocalStack 2026.3 runs on, >= 3.13 (its package says >= 3.10, but on 3.11 it cannot
# parse its own generic classes and on 3.12 it imports warnings.deprecated, new in 3.13; either way
# it says only "No component plugins found"), with the venv module: $LRT_PYTHON if set, else one on
# PATH, else one that pyenv or uv installed (on PATH or not); 3.13, on which it was measured, before
# newer ones. pyenv's shims are on PATH for every installed version but fail for one not selected,
# so each candidate is run, not looked up.
python_fits() { "$1" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 13))' >/dev/null 2>&1; }
find_python() {
  if [ -n "${LRT_PYTHON:-}" ]; then
    python_fits "$LRT_PYTHON" || die "LRT_PYTHON=$LRT_PYTHON is not a Python >= 3.13 with its venv module"
    echo "$LRT_PYTHON"
    return
  fi
  local candidate installed="${PYENV_ROOT:-$HOME/.pyenv}/versions/3" uv="$HOME/.local/share/uv/python/cpython-3"
  for candidate in python3.13 python3.14 python3.15 python3 \
    $({ ls -d "$installed".13* "$uv".13* | sort -rV; ls -d "$installed".1[4-9]* "$uv".1[4-9]* | sort -V; } 2>/dev/null |
      sed 's|$|/bin/python3|'); do
    if python_fits "$candidate"; then
      # A pyenv shim that works now may not later: keep the real interpreter's path.
      "$candidate" -c 'import sys; print(sys.executable)'
      return
    fi
  done
  die "the AWS emulator (LocalStack) needs Python >= 3.13 with its venv module; none was found" \
    "(tried python3.13, python3.14, python3.15 and python3 on PATH, ${PYENV_ROOT:-$HOME/.pyenv}/versions/*," \
    "~/.local/share/uv/python/*). Install one: \`pyenv install 3.13\`, or \`apt-get install python3.13-venv\`" \
    "where the distribution ships it (Debian 13, Ubuntu 25.04); or point LRT_PYTHON at one; or start" \
    "Docker and let the tests use testcontainers."
}

# The virtualenv, made again when the requirements or the interpreter change.
localstack_install() {
  local python version stamp
  python="$(find_python)"
  version="$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
  stamp="$LS_DIR/venv/.installed-$({ cat "$LS_REQUIREMENTS"; echo "$python $version"; } | cksum | cut -d' ' -f1)"
  [ -f "$stamp" ] && return
  log "installing $(grep -m1 '^localstack-core' "$LS_REQUIREMENTS") into $LS_DIR/venv (Python $version, $python)"
  rm -rf "$LS_DIR/venv"
  "$python" -m venv "$LS_DIR/venv" || die "$python could not create $LS_DIR/venv"
  "$LS_DIR/venv/bin/pip" install -q --disable-pip-version-check -r "$LS_REQUIREMENTS" >"$LS_DIR/pip.log" 2>&1 ||
    { tail -n 20 "$LS_DIR/pip.log" >&2; die "installing LocalStack failed; see $LS_DIR/pip.log"; }
  # A dependency that no longer fits shows at start-up only as "No component plugins found": import
  # the runtime's components here, where the real error can be shown.
  "$LS_DIR/venv/bin/python" -c 'import localstack.aws.components' >>"$LS_DIR/pip.log" 2>&1 ||
    { tail -n 5 "$LS_DIR/pip.log" >&2; die "LocalStack installed but does not import (a dependency's newer release?); see $LS_DIR/pip.log and bound it in $LS_REQUIREMENTS"; }
  touch "$stamp"
}

aws_up() {
  if pid_alive "$LS_DIR/pid" && aws_ready >/dev/null 2>&1; then log "aws emulator already running on :$AWS_PORT"; return; fi
  if aws_ready >/dev/null 2>&1; then adopt "aws emulator" "$AWS_PORT"; return; fi
  mkdir -p "$LS_DIR"
  localstack_install
  # Its state lives in memory: a start is a clean slate, so the files of the last run go too.
  rm -rf "$LS_DIR/fs" "$LS_DIR/tmp" "$LS_DIR/s3"
  mkdir -p "$LS_DIR/fs" "$LS_DIR/tmp" "$LS_DIR/s3" "$LS_DIR/cache" "$LS_DIR/config"
  : >"$LS_DIR/server.log"
  local started=$SECONDS
  spawn "$LS_DIR/pid" "$LS_DIR/server.log" env \
    OVERRIDE_IN_DOCKER=0 GATEWAY_LISTEN="127.0.0.1:$AWS_PORT" GATEWAY_SERVER=hypercorn \
    SERVICES="$LS_SERVICES" FILESYSTEM_ROOT="$LS_DIR/fs" TMPDIR="$LS_DIR/tmp" \
    XDG_CACHE_HOME="$LS_DIR/cache" CONFIG_DIR="$LS_DIR/config" LRT_S3_STORAGE_DIR="$LS_DIR/s3" \
    DNS_ADDRESS=0 DISABLE_EVENTS=1 SKIP_SSL_CERT_DOWNLOAD=1 \
    "$LS_DIR/venv/bin/python" "$HERE/localstack_main.py"
  wait_for "AWS emulator (LocalStack)" "$LS_DIR/server.log" "$LS_DIR/pid" aws_ready
  log "aws emulator ready on 127.0.0.1:$AWS_PORT in $((SECONDS - started))s" \
    "(LocalStack $("$LS_DIR/venv/bin/python" -c 'from localstack.constants import VERSION; print(VERSION)' 2>/dev/null))"
}

# ---------------------------------------------------------------------------- schema registry
# Apicurio Registry, the open-source registry whose Confluent-compatible API (ccompat v7) serves what
# AWS's event source mapping and the Confluent serializers ask of a Confluent registry: subjects,
# versions, schemas by id, for Avro, Protobuf and JSON Schema. Confluent's own registry and Karapace
# are not published where this project installs from; Apicurio's application is, on Maven Central,
# as jars that Quarkus' Maven plugin turns into a runnable one (scripts/services/registry/pom.xml).
# In-memory storage: a start is a clean slate, like the AWS emulator.
REGISTRY_DIR="$STATE/registry"
REGISTRY_SRC="$HERE/registry"

registry_ready() { curl -sf -m 2 "http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7/subjects" >/dev/null; }

registry_up() {
  if pid_alive "$REGISTRY_DIR/pid" && registry_ready; then log "schema registry already running on :$REGISTRY_PORT"; return; fi
  if registry_ready; then adopt "schema registry" "$REGISTRY_PORT"; return; fi
  { command -v java && command -v javac; } >/dev/null || apt_install openjdk-17-jdk-headless
  command -v curl >/dev/null || apt_install curl
  mkdir -p "$REGISTRY_DIR"
  local stamp="$REGISTRY_DIR/app/.built-$(cat "$REGISTRY_SRC/pom.xml" "$REGISTRY_SRC/src/main/resources/application.properties" | cksum | cut -d' ' -f1)"
  if [ ! -f "$stamp" ]; then
    command -v mvn >/dev/null || apt_install maven
    log "building the schema registry (Apicurio) from Maven Central jars (scripts/services/registry/pom.xml)"
    rm -rf "$REGISTRY_DIR/build" "$REGISTRY_DIR/app"
    mkdir -p "$REGISTRY_DIR/build"
    cp -R "$REGISTRY_SRC/pom.xml" "$REGISTRY_SRC/src" "$REGISTRY_DIR/build/"
    mvn -q -B -s "$REGISTRY_SRC/maven-settings.xml" -f "$REGISTRY_DIR/build/pom.xml" -DskipTests package \
      >"$REGISTRY_DIR/maven.log" 2>&1 ||
      { tail -n 30 "$REGISTRY_DIR/maven.log" >&2; die "building the schema registry failed; see $REGISTRY_DIR/maven.log"; }
    mkdir -p "$REGISTRY_DIR/app"
    mv "$REGISTRY_DIR/build/target/schema-registry-1-runner.jar" "$REGISTRY_DIR/build/target/lib" "$REGISTRY_DIR/app/"
    rm -rf "$REGISTRY_DIR/build"
    touch "$stamp"
  fi
  : >"$REGISTRY_DIR/server.log"
  local started=$SECONDS
  spawn "$REGISTRY_DIR/pid" "$REGISTRY_DIR/server.log" java -Xms64m -Xmx384m -XX:+UseSerialGC \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$REGISTRY_PORT" \
    -Djava.io.tmpdir="$REGISTRY_DIR" -jar "$REGISTRY_DIR/app/schema-registry-1-runner.jar"
  wait_for "schema registry" "$REGISTRY_DIR/server.log" "$REGISTRY_DIR/pid" registry_ready
  log "schema registry ready on 127.0.0.1:$REGISTRY_PORT in $((SECONDS - started))s (Apicurio Registry 2.4.2, ccompat v7)"
}

# ------------------------------------------------------------------------------------ commands
stop() {
  local name="$1" pidfile="$2"
  pid_alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  local pid; pid="$(cat "$pidfile")"
  log "stopping $name (pid $pid)"
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

status_line() {
  local name="$1" pidfile="$2" check="$3" addr="$4"
  if pid_alive "$pidfile" && $check >/dev/null 2>&1; then echo "$name: up ($addr, pid $(cat "$pidfile"))"
  elif $check >/dev/null 2>&1; then echo "$name: up ($addr, not started by this checkout)"
  elif pid_alive "$pidfile"; then echo "$name: started but not answering ($addr, pid $(cat "$pidfile"))"
  else echo "$name: down"; fi
}

case "${1:-}" in
  up)
    mkdir -p "$STATE"
    shift
    # `up mysql kafka …` starts only those; `up` alone, all four.
    for service in "${@:-mysql kafka aws registry}"; do
      for one in $service; do
        case "$one" in
          mysql) mysql_up ;;
          kafka) kafka_up ;;
          aws) aws_up ;;
          registry) registry_up ;;
          *) die "unknown service: $one (mysql, kafka, aws, registry)" ;;
        esac
      done
    done
    ;;
  down)
    stop "schema registry" "$REGISTRY_DIR/pid"
    stop "AWS emulator" "$LS_DIR/pid"
    stop Kafka "$KAFKA_DIR/pid"
    stop MySQL "$MYSQL_DIR/pid"
    # A service that an earlier version of this script started under another folder name.
    for pidfile in "$STATE"/*/pid; do
      if [ -e "$pidfile" ]; then stop "$(basename "$(dirname "$pidfile")")" "$pidfile"; fi
    done
    ;;
  status)
    status_line mysql "$MYSQL_DIR/pid" mysql_ready "127.0.0.1:$MYSQL_PORT"
    status_line kafka "$KAFKA_DIR/pid" kafka_ready "127.0.0.1:$KAFKA_PORT"
    status_line aws "$LS_DIR/pid" aws_ready "127.0.0.1:$AWS_PORT"
    status_line registry "$REGISTRY_DIR/pid" registry_ready "127.0.0.1:$REGISTRY_PORT"
    ;;
  env)
    cat <<EOF
export DB_HOST=$MYSQL_HOST
export DB_PORT=$MYSQL_PORT
export DB_USER=$DB_USER
export DB_PASSWORD=$DB_PASSWORD
export DB_NAME=$DB_NAME
export DB_TLS=verify
export DB_TLS_CA=$MYSQL_TLS/ca.pem
export KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
export AWS_ENDPOINT_URL=http://127.0.0.1:$AWS_PORT
export SCHEMA_REGISTRY_URL=http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7
export AWS_REGION=\${AWS_REGION:-us-east-1}
export AWS_ACCESS_KEY_ID=\${AWS_ACCESS_KEY_ID:-test}
export AWS_SECRET_ACCESS_KEY=\${AWS_SECRET_ACCESS_KEY:-test}
EOF
    ;;
  *)
    echo "usage: scripts/services.sh up [mysql|kafka|aws|registry]...|down|status|env" >&2
    exit 2
    ;;
esac
