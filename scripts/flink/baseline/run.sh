#!/usr/bin/env bash
# The Flink baseline `npm run bench` measures the project against (BaselineJob.java, bench/compare.ts):
# builds this directory (Flink 1.20's jars, the Kafka and JDBC connectors and MySQL Connector/J
# from Maven Central, resolved by Maven; one class compiled by javac) into
# .services/flink-baseline, once per change of pom.xml or source, then runs the job on a local
# MiniCluster in this process (exec: the pid the caller holds is the JVM's):
#
#   scripts/flink/baseline/run.sh build     resolve and compile only
#   scripts/flink/baseline/run.sh           run the job (configured by the environment: BaselineJob.java)
#
# A separate build from the conformance runner (scripts/flink/run.sh), which it leaves alone.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
HERE="$ROOT/scripts/flink/baseline"
DIR="${LRT_FLINK_BASELINE_DIR:-${LRT_SERVICES_DIR:-$ROOT/.services}/flink-baseline}"

die() { printf 'flink-baseline: error: %s\n' "$*" >&2; exit 1; }

command -v java >/dev/null || die "java is not installed (Java 17+; apt-get install openjdk-17-jdk-headless)"
command -v javac >/dev/null || die "javac is not installed (a JDK, not a JRE: apt-get install openjdk-17-jdk-headless)"
command -v mvn >/dev/null || die "mvn is not installed: Flink's jars are resolved from Maven Central by Maven (apt-get install maven)"

sources=("$HERE/pom.xml" "$HERE"/src/main/java/lrt/flinkbench/*.java)
stamp="$DIR/.built-$(cat "${sources[@]}" | cksum | cut -d' ' -f1)"
if [ ! -f "$stamp" ]; then
  mkdir -p "$DIR"
  exec 9>"$DIR/.lock"
  flock 9
  if [ ! -f "$stamp" ]; then
    printf 'flink-baseline: resolving jars from Maven Central (scripts/flink/baseline/pom.xml) into %s\n' "$DIR" >&2
    rm -rf "$DIR/libs" "$DIR/classes" "$DIR"/.built-*
    mvn -q -B -f "$HERE/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory="$DIR/libs" >"$DIR/maven.log" 2>&1 ||
      { tail -n 30 "$DIR/maven.log" >&2; die "resolving the jars failed; see $DIR/maven.log"; }
    mkdir -p "$DIR/classes"
    javac -nowarn -encoding UTF-8 --release 17 -cp "$DIR/libs/*" -d "$DIR/classes" "$HERE"/src/main/java/lrt/flinkbench/*.java \
      >"$DIR/javac.log" 2>&1 || { cat "$DIR/javac.log" >&2; die "compiling BaselineJob failed"; }
    touch "$stamp"
  fi
  exec 9>&-
fi

[ "${1:-}" = build ] && exit 0
[ $# -eq 0 ] || die "usage: scripts/flink/baseline/run.sh [build]"
# A throughput job's JVM: C2 on (no TieredStopAtLevel), the parallel collector on the 2 cores.
# UTF-8 whatever the locale (Java 17 takes its default charset from it; a bare CI shell is POSIX).
exec java -Xms512m -Xmx1g -XX:+UseParallelGC \
  -Dfile.encoding=UTF-8 -Dsun.stdout.encoding=UTF-8 -Dsun.stderr.encoding=UTF-8 \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.logFile=System.err \
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED \
  -cp "$DIR/classes:$DIR/libs/*" lrt.flinkbench.BaselineJob
