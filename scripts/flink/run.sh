#!/usr/bin/env bash
# The Flink side of the SQL conformance suite (test/conformance): builds scripts/flink (Flink 1.20's
# jars from Maven Central, resolved by Maven as scripts/services.sh resolves Kafka's; one class
# compiled by javac) into .services/flink, once per change of pom.xml or source, then runs it on a
# local MiniCluster:
#
#   scripts/flink/run.sh build          resolve and compile only
#   scripts/flink/run.sh SPEC.json      run the statements of SPEC.json (ConformanceRunner.java)
#
# Needs Java 17+ and Maven; without them it fails, saying so (never a skip).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/scripts/flink"
DIR="${LRT_FLINK_DIR:-${LRT_SERVICES_DIR:-$ROOT/.services}/flink}"

die() { printf 'flink: error: %s\n' "$*" >&2; exit 1; }

# shellcheck source=scripts/flink/build.sh
source "$ROOT/scripts/flink/build.sh"
flink_build flink "$HERE" lrt/flink "$DIR"

[ "${1:-}" = build ] && exit 0
[ $# -eq 1 ] || die "usage: scripts/flink/run.sh build | SPEC.json"
# UTF-8 whatever the locale (Java 17 takes its default charset from it; a bare CI shell is POSIX).
exec java -Xms256m -Xmx1g -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
  -Dfile.encoding=UTF-8 -Dsun.stdout.encoding=UTF-8 -Dsun.stderr.encoding=UTF-8 \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.logFile=System.err \
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED \
  -cp "$DIR/classes:$DIR/libs/*" lrt.flink.ConformanceRunner "$1"
