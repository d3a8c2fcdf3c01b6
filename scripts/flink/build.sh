# Sourced by scripts/flink/run.sh and scripts/flink/baseline/run.sh: builds one Maven project of
# Flink jars and Java sources into a directory of its own, once per change of its pom.xml or
# sources (a stamp named after their checksum), one build at a time (a lock: vitest projects, two
# checkouts sharing LRT_SERVICES_DIR). Needs Java 17+ (a JDK) and Maven; without them it fails,
# saying so (never a skip).
#
#   flink_build NAME PROJECT_DIR JAVA_PACKAGE_DIR OUT_DIR
#     NAME              how messages name it
#     PROJECT_DIR       the folder of pom.xml (and src/main/resources, copied beside the classes)
#     JAVA_PACKAGE_DIR  the folder of the .java files, under PROJECT_DIR/src/main/java
#     OUT_DIR           where libs/ and classes/ go
flink_die() { printf '%s: error: %s\n' "$FLINK_NAME" "$*" >&2; exit 1; }

flink_build() {
  FLINK_NAME="$1"
  local project="$2" package="$3" out="$4"
  command -v java >/dev/null || flink_die "java is not installed: Apache Flink runs on Java 17+ (apt-get install openjdk-17-jdk-headless)"
  command -v javac >/dev/null || flink_die "javac is not installed (a JDK, not a JRE: apt-get install openjdk-17-jdk-headless)"
  command -v mvn >/dev/null || flink_die "mvn is not installed: Flink's jars are resolved from Maven Central by Maven (apt-get install maven)"
  local sources=("$project/pom.xml" "$project/src/main/java/$package"/*.java)
  [ -d "$project/src/main/resources" ] && sources+=($(find "$project/src/main/resources" -type f | sort))
  local stamp
  stamp="$out/.built-$(cat "${sources[@]}" | cksum | cut -d' ' -f1)"
  [ -f "$stamp" ] && return 0
  mkdir -p "$out"
  exec 9>"$out/.lock"
  flock 9
  if [ ! -f "$stamp" ]; then
    printf '%s: resolving jars from Maven Central (%s) into %s\n' "$FLINK_NAME" "${project#"$ROOT"/}/pom.xml" "$out" >&2
    rm -rf "$out/libs" "$out/classes" "$out"/.built-*
    mvn -q -B -f "$project/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory="$out/libs" >"$out/maven.log" 2>&1 ||
      { tail -n 30 "$out/maven.log" >&2; flink_die "resolving the jars failed; see $out/maven.log"; }
    mkdir -p "$out/classes"
    javac -nowarn -encoding UTF-8 --release 17 -cp "$out/libs/*" -d "$out/classes" "$project/src/main/java/$package"/*.java \
      >"$out/javac.log" 2>&1 || { cat "$out/javac.log" >&2; flink_die "compiling $package failed"; }
    [ -d "$project/src/main/resources" ] && cp -R "$project/src/main/resources/." "$out/classes/"
    touch "$stamp"
  fi
  exec 9>&-
}
