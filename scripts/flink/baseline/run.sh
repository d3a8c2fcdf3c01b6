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

# shellcheck source=scripts/flink/build.sh
source "$ROOT/scripts/flink/build.sh"
flink_build flink-baseline "$HERE" lrt/flinkbench "$DIR"

[ "${1:-}" = build ] && exit 0
[ $# -eq 0 ] || die "usage: scripts/flink/baseline/run.sh [build]"
# A throughput job's JVM: C2 on (no TieredStopAtLevel), the parallel collector on the 2 cores.
# UTF-8 whatever the locale (Java 17 takes its default charset from it; a bare CI shell is POSIX).
exec java -Xms512m -Xmx1g -XX:+UseParallelGC \
  -Dfile.encoding=UTF-8 -Dsun.stdout.encoding=UTF-8 -Dsun.stderr.encoding=UTF-8 \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.logFile=System.err \
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED \
  -cp "$DIR/classes:$DIR/libs/*" lrt.flinkbench.BaselineJob
