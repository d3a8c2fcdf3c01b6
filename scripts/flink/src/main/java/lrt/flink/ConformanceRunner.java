package lrt.flink;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.StatementSet;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.types.Row;

/**
 * The Flink side of lambda-realtime's SQL conformance suite (test/conformance): runs Flink SQL
 * statements on a local MiniCluster, all of them in one job, and prints the rows they wrote.
 *
 * <pre>
 *   java -cp … lrt.flink.ConformanceRunner SPEC.json
 * </pre>
 *
 * SPEC.json: {"events": "events.jsonl", "dimensions": "dims.json", "ddl": ["CREATE TABLE …", …],
 * "inserts": [{"id": "…", "sql": "INSERT INTO …"}, …]}. The events are BusinessEvent JSON lines;
 * a DDL's {@code '{events:TYPE}'} names a file of that type's events (split here), and
 * {@code '{dimensions}'} the dimension file ({"dim_x": [row, …], …}). The connector
 * {@code 'lrt'} (LrtConnector) reads dimension rows and collects what each statement wrote.
 *
 * Prints JSON lines on stdout: {"id", "accepted": true} or {"id", "error"} per INSERT (planned
 * one by one, so one refusal does not hide the others), then {"table", "row"} for every row of
 * every sink after the one job ran (its changelog applied: a sink declared with PRIMARY KEY … NOT
 * ENFORCED holds the final row of each key, as a state table does after its merges; one without
 * holds every row, an update or delete retracting one), then
 * {"done": true, "millis": …}.
 */
public final class ConformanceRunner {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final PrintStream OUT = System.out;

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: ConformanceRunner SPEC.json");
      System.exit(2);
    }
    long started = System.currentTimeMillis();
    Path specFile = Path.of(args[0]).toAbsolutePath();
    JsonNode spec = JSON.readTree(specFile.toFile());
    Path dir = Files.createTempDirectory("lrt-flink-");
    Map<String, Path> byType = splitEvents(Path.of(spec.path("events").asText()), dir);
    String dimensions = spec.path("dimensions").asText("");

    Configuration conf = new Configuration();
    conf.setString("parallelism.default", "1");
    conf.setString("table.local-time-zone", "UTC");
    conf.setString("rest.bind-address", "127.0.0.1");
    conf.setString("taskmanager.numberOfTaskSlots", "4");
    TableEnvironment tEnv =
        TableEnvironment.create(EnvironmentSettings.newInstance().inStreamingMode().withConfiguration(conf).build());

    Pattern eventsPath = Pattern.compile("\\{events:([A-Za-z0-9_]+)\\}");
    for (JsonNode ddl : spec.path("ddl")) {
      Matcher m = eventsPath.matcher(ddl.asText());
      StringBuilder sql = new StringBuilder();
      while (m.find()) {
        Path file = byType.computeIfAbsent(m.group(1), t -> emptyFile(dir, t));
        m.appendReplacement(sql, Matcher.quoteReplacement(file.toString()));
      }
      m.appendTail(sql);
      tEnv.executeSql(sql.toString().replace("{dimensions}", dimensions));
    }

    StatementSet set = tEnv.createStatementSet();
    int accepted = 0;
    for (JsonNode insert : spec.path("inserts")) {
      ObjectNode line = JSON.createObjectNode().put("id", insert.path("id").asText());
      try {
        // Planned alone first, so that a statement Flink refuses only when it plans the job (a
        // sink that does not fit, say) is reported as its own and does not fail the others.
        tEnv.explainSql(insert.path("sql").asText());
        set.addInsertSql(insert.path("sql").asText());
        line.put("accepted", true);
        accepted++;
      } catch (Exception e) {
        line.put("error", rootMessage(e));
      }
      OUT.println(JSON.writeValueAsString(line));
    }
    if (accepted > 0) set.execute().await();
    synchronized (LrtConnector.SINKS) {
      for (Map.Entry<String, LrtConnector.SinkTable> table : LrtConnector.SINKS.entrySet()) {
        for (Map<String, Object> row : table.getValue().rows()) {
          ObjectNode line = JSON.createObjectNode().put("table", table.getKey());
          line.set("row", JSON.valueToTree(row));
          OUT.println(JSON.writeValueAsString(line));
        }
      }
    }
    OUT.println(
        JSON.writeValueAsString(
            JSON.createObjectNode().put("done", true).put("millis", System.currentTimeMillis() - started)));
    OUT.flush();
    System.exit(0);
  }

  private static String rootMessage(Throwable e) {
    StringBuilder out = new StringBuilder(String.valueOf(e.getMessage()));
    for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
      if (c.getMessage() != null && !out.toString().contains(c.getMessage())) out.append(" | ").append(c.getMessage());
    }
    return out.toString();
  }

  /** One file of BusinessEvent JSON lines per event type, in the input's order. */
  private static Map<String, Path> splitEvents(Path events, Path dir) throws IOException {
    Map<String, BufferedWriter> writers = new HashMap<>();
    Map<String, Path> files = new HashMap<>();
    for (String line : Files.readAllLines(events, StandardCharsets.UTF_8)) {
      if (line.isBlank()) continue;
      String type = JSON.readTree(line).path("type").asText("");
      if (!type.matches("[A-Za-z0-9_]+")) continue;
      BufferedWriter w = writers.get(type);
      if (w == null) {
        Path file = dir.resolve(type + ".jsonl");
        files.put(type, file);
        w = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
        writers.put(type, w);
      }
      w.write(line);
      w.newLine();
    }
    for (BufferedWriter w : writers.values()) w.close();
    return files;
  }

  private static Path emptyFile(Path dir, String type) {
    try {
      return Files.writeString(dir.resolve(type + ".jsonl"), "");
    } catch (IOException e) {
      throw new RuntimeException(e);
    }
  }

  // ------------------------------------------------------------------------ values as JSON

  private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");

  /** An external (Java) value as plain JSON data: decimals as exact text, times as UTC text. */
  static Object jsonValue(Object value) {
    if (value == null || value instanceof String || value instanceof Boolean) return value;
    if (value instanceof BigDecimal) return ((BigDecimal) value).toPlainString();
    if (value instanceof Number) return value;
    if (value instanceof LocalDateTime) return TIMESTAMP.format((LocalDateTime) value);
    if (value instanceof Instant) return TIMESTAMP.format(LocalDateTime.ofInstant((Instant) value, ZoneOffset.UTC));
    if (value instanceof LocalDate) return value.toString();
    if (value instanceof Object[]) {
      List<Object> out = new ArrayList<>();
      for (Object o : (Object[]) value) out.add(jsonValue(o));
      return out;
    }
    if (value instanceof Map) {
      Map<String, Object> out = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) out.put(String.valueOf(e.getKey()), jsonValue(e.getValue()));
      return out;
    }
    if (value instanceof Row) {
      Row row = (Row) value;
      Set<String> names = row.getFieldNames(false);
      if (names != null) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String name : names) out.put(name, jsonValue(row.getField(name)));
        return out;
      }
      List<Object> out = new ArrayList<>();
      for (int i = 0; i < row.getArity(); i++) out.add(jsonValue(row.getField(i)));
      return out;
    }
    if (value instanceof byte[]) return java.util.Base64.getEncoder().encodeToString((byte[]) value);
    return value.toString();
  }
}
