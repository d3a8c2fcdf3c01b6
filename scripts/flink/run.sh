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

command -v java >/dev/null || die "java is not installed: the conformance suite runs Apache Flink (Java 17+; apt-get install openjdk-17-jdk-headless)"
command -v javac >/dev/null || die "javac is not installed (a JDK, not a JRE: apt-get install openjdk-17-jdk-headless)"
command -v mvn >/dev/null || die "mvn is not installed: Flink's jars are resolved from Maven Central by Maven (apt-get install maven)"

sources=("$HERE/pom.xml" "$HERE"/src/main/java/lrt/flink/*.java "$HERE"/src/main/resources/META-INF/services/*)
stamp="$DIR/.built-$(cat "${sources[@]}" | cksum | cut -d' ' -f1)"
if [ ! -f "$stamp" ]; then
  mkdir -p "$DIR"
  # One build at a time (vitest projects, two checkouts sharing LRT_SERVICES_DIR).
  exec 9>"$DIR/.lock"
  flock 9
  if [ ! -f "$stamp" ]; then
    printf 'flink: resolving Flink jars from Maven Central (scripts/flink/pom.xml) into %s\n' "$DIR" >&2
    rm -rf "$DIR/libs" "$DIR/classes" "$DIR"/.built-*
    mvn -q -B -f "$HERE/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory="$DIR/libs" >"$DIR/maven.log" 2>&1 ||
      { tail -n 30 "$DIR/maven.log" >&2; die "resolving Flink's jars failed; see $DIR/maven.log"; }
    mkdir -p "$DIR/classes"
    javac -nowarn -encoding UTF-8 --release 17 -cp "$DIR/libs/*" -d "$DIR/classes" "$HERE"/src/main/java/lrt/flink/*.java \
      >"$DIR/javac.log" 2>&1 || { cat "$DIR/javac.log" >&2; die "compiling ConformanceRunner failed"; }
    cp -R "$HERE/src/main/resources/." "$DIR/classes/"
    touch "$stamp"
  fi
  exec 9>&-
fi

[ "${1:-}" = build ] && exit 0
[ $# -eq 1 ] || die "usage: scripts/flink/run.sh build | SPEC.json"
# UTF-8 whatever the locale (Java 17 takes its default charset from it; a bare CI shell is POSIX).
exec java -Xms256m -Xmx1g -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
  -Dfile.encoding=UTF-8 -Dsun.stdout.encoding=UTF-8 -Dsun.stderr.encoding=UTF-8 \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.logFile=System.err \
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED \
  -cp "$DIR/classes:$DIR/libs/*" lrt.flink.ConformanceRunner "$1"
