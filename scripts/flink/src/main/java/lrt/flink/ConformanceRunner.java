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
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.streaming.api.functions.sink.RichSinkFunction;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.StatementSet;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.connector.RuntimeConverter;
import org.apache.flink.table.connector.sink.DynamicTableSink;
import org.apache.flink.table.connector.sink.SinkFunctionProvider;
import org.apache.flink.table.connector.source.DynamicTableSource;
import org.apache.flink.table.connector.source.LookupTableSource;
import org.apache.flink.table.connector.source.lookup.LookupFunctionProvider;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.conversion.DataStructureConverter;
import org.apache.flink.table.data.conversion.DataStructureConverters;
import org.apache.flink.table.factories.DynamicTableSinkFactory;
import org.apache.flink.table.factories.DynamicTableSourceFactory;
import org.apache.flink.table.factories.FactoryUtil;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.functions.LookupFunction;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.types.Row;
import org.apache.flink.types.RowKind;

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
 * {@code 'lrt'} is a lookup source (a dimension table: option {@code table} names its rows in the
 * dimension file; FOR SYSTEM_TIME AS OF joins read them) and a sink that collects every row.
 *
 * Prints JSON lines on stdout: {"id", "accepted": true} or {"id", "error"} per INSERT (planned
 * one by one, so one refusal does not hide the others), then {"table", "row"} for every row of
 * every sink after the one job ran (changes applied: an update or delete retracts its row), then
 * {"done": true, "millis": …}.
 */
public final class ConformanceRunner {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final PrintStream OUT = System.out;

  /** Rows every sink wrote, by table, in arrival order (the MiniCluster runs in this JVM). */
  static final Map<String, List<Map<String, Object>>> SINKS = new LinkedHashMap<>();

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
    synchronized (SINKS) {
      for (Map.Entry<String, List<Map<String, Object>>> table : SINKS.entrySet()) {
        for (Map<String, Object> row : table.getValue()) {
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

  /** A JSON value as the external (Java) value of a column of type `type`. */
  static Object externalValue(JsonNode node, LogicalType type) {
    if (node == null || node.isNull() || node.isMissingNode()) return null;
    switch (type.getTypeRoot()) {
      case CHAR:
      case VARCHAR:
        return node.isTextual() ? node.asText() : node.toString();
      case BOOLEAN:
        return node.asBoolean();
      case TINYINT:
        return (byte) node.asInt();
      case SMALLINT:
        return (short) node.asInt();
      case INTEGER:
        return node.asInt();
      case BIGINT:
        return node.asLong();
      case FLOAT:
        return (float) node.asDouble();
      case DOUBLE:
        return node.asDouble();
      case DECIMAL:
        return new BigDecimal(node.asText());
      case TIMESTAMP_WITHOUT_TIME_ZONE:
        return node.isNumber()
            ? LocalDateTime.ofInstant(Instant.ofEpochMilli(node.asLong()), ZoneOffset.UTC)
            : LocalDateTime.parse(node.asText().replace(' ', 'T'));
      case TIMESTAMP_WITH_LOCAL_TIME_ZONE:
        return node.isNumber()
            ? Instant.ofEpochMilli(node.asLong())
            : LocalDateTime.parse(node.asText().replace(' ', 'T')).toInstant(ZoneOffset.UTC);
      default:
        throw new IllegalArgumentException("lrt connector: unsupported dimension column type " + type);
    }
  }

  // ------------------------------------------------------------------------ the 'lrt' connector

  static final ConfigOption<String> PATH =
      ConfigOptions.key("path").stringType().noDefaultValue().withDescription("the dimension file");
  static final ConfigOption<String> TABLE =
      ConfigOptions.key("table").stringType().noDefaultValue().withDescription("its rows' name in the file");

  /** Lookup source (dimension rows from a file) and collecting sink, as connector 'lrt'. */
  public static final class Factory implements DynamicTableSourceFactory, DynamicTableSinkFactory {
    @Override
    public String factoryIdentifier() {
      return "lrt";
    }

    @Override
    public Set<ConfigOption<?>> requiredOptions() {
      return Collections.emptySet();
    }

    @Override
    public Set<ConfigOption<?>> optionalOptions() {
      return new HashSet<>(List.of(PATH, TABLE));
    }

    @Override
    public DynamicTableSource createDynamicTableSource(DynamicTableSourceFactory.Context context) {
      FactoryUtil.TableFactoryHelper helper = FactoryUtil.createTableFactoryHelper(this, context);
      helper.validate();
      String path = helper.getOptions().getOptional(PATH).orElseThrow(() -> new IllegalArgumentException("lrt source: 'path' is required"));
      String table = helper.getOptions().getOptional(TABLE).orElse(context.getObjectIdentifier().getObjectName());
      return new DimensionSource(path, table, context.getPhysicalRowDataType());
    }

    @Override
    public DynamicTableSink createDynamicTableSink(DynamicTableSinkFactory.Context context) {
      FactoryUtil.createTableFactoryHelper(this, context).validate();
      return new CollectSink(context.getObjectIdentifier().getObjectName(), context.getPhysicalRowDataType());
    }
  }

  public static final class DimensionSource implements LookupTableSource {
    private final String path;
    private final String table;
    private final DataType rowType;

    DimensionSource(String path, String table, DataType rowType) {
      this.path = path;
      this.table = table;
      this.rowType = rowType;
    }

    @Override
    public LookupRuntimeProvider getLookupRuntimeProvider(LookupContext context) {
      int[][] keys = context.getKeys();
      int[] key = new int[keys.length];
      for (int i = 0; i < keys.length; i++) {
        if (keys[i].length != 1) throw new IllegalArgumentException("lrt source: nested lookup keys are not supported");
        key[i] = keys[i][0];
      }
      return LookupFunctionProvider.of(new DimensionLookup(path, table, rowType, key));
    }

    @Override
    public DynamicTableSource copy() {
      return new DimensionSource(path, table, rowType);
    }

    @Override
    public String asSummaryString() {
      return "lrt dimension " + table;
    }
  }

  /** The rows of one dimension table, by their lookup key. */
  public static final class DimensionLookup extends LookupFunction {
    private final String path;
    private final String table;
    private final DataType rowType;
    private final int[] key;
    private transient Map<List<Object>, List<RowData>> rows;

    DimensionLookup(String path, String table, DataType rowType, int[] key) {
      this.path = path;
      this.table = table;
      this.rowType = rowType;
      this.key = key;
    }

    @Override
    public void open(FunctionContext context) throws Exception {
      RowType type = (RowType) rowType.getLogicalType();
      DataStructureConverter<Object, Object> converter = DataStructureConverters.getConverter(rowType);
      converter.open(getClass().getClassLoader());
      rows = new HashMap<>();
      JsonNode all = JSON.readTree(Path.of(path).toFile()).path(table);
      for (JsonNode node : all) {
        Row row = Row.withPositions(type.getFieldCount());
        for (int i = 0; i < type.getFieldCount(); i++) {
          row.setField(i, externalValue(node.get(type.getFieldNames().get(i)), type.getTypeAt(i)));
        }
        RowData internal = (RowData) converter.toInternal(row);
        rows.computeIfAbsent(keyOf(internal, key, type), k -> new ArrayList<>()).add(internal);
      }
    }

    @Override
    public Collection<RowData> lookup(RowData keyRow) {
      RowType type = (RowType) rowType.getLogicalType();
      List<Object> k = new ArrayList<>();
      for (int i = 0; i < key.length; i++) {
        k.add(Objects.toString(RowData.createFieldGetter(type.getTypeAt(key[i]), i).getFieldOrNull(keyRow), null));
      }
      return rows.getOrDefault(k, Collections.emptyList());
    }

    private static List<Object> keyOf(RowData row, int[] key, RowType type) {
      List<Object> k = new ArrayList<>();
      for (int index : key) {
        k.add(Objects.toString(RowData.createFieldGetter(type.getTypeAt(index), index).getFieldOrNull(row), null));
      }
      return k;
    }
  }

  public static final class CollectSink implements DynamicTableSink {
    private final String table;
    private final DataType rowType;

    CollectSink(String table, DataType rowType) {
      this.table = table;
      this.rowType = rowType;
    }

    @Override
    public ChangelogMode getChangelogMode(ChangelogMode requestedMode) {
      return ChangelogMode.all();
    }

    @Override
    public SinkRuntimeProvider getSinkRuntimeProvider(Context context) {
      List<String> names = ((RowType) rowType.getLogicalType()).getFieldNames();
      return SinkFunctionProvider.of(
          new Collector(table, new ArrayList<>(names), context.createDataStructureConverter(rowType)));
    }

    @Override
    public DynamicTableSink copy() {
      return new CollectSink(table, rowType);
    }

    @Override
    public String asSummaryString() {
      return "lrt collect " + table;
    }
  }

  /** Keeps each row as plain JSON data in SINKS; an update's old row or a delete retracts one. */
  public static final class Collector extends RichSinkFunction<RowData> {
    private final String table;
    private final ArrayList<String> names;
    private final DynamicTableSink.DataStructureConverter converter;
    private transient boolean opened;

    Collector(String table, ArrayList<String> names, DynamicTableSink.DataStructureConverter converter) {
      this.table = table;
      this.names = names;
      this.converter = converter;
    }

    @Override
    public void invoke(RowData value, Context context) {
      if (!opened) {
        converter.open(RuntimeConverter.Context.create(getClass().getClassLoader()));
        opened = true;
      }
      Row row = (Row) converter.toExternal(value);
      Map<String, Object> out = new LinkedHashMap<>();
      for (int i = 0; i < row.getArity(); i++) out.put(names.get(i), jsonValue(row.getField(i)));
      RowKind kind = value.getRowKind();
      synchronized (SINKS) {
        List<Map<String, Object>> rows = SINKS.computeIfAbsent(table, t -> new ArrayList<>());
        if (kind == RowKind.INSERT || kind == RowKind.UPDATE_AFTER) {
          rows.add(out);
        } else {
          for (Iterator<Map<String, Object>> it = rows.iterator(); it.hasNext(); ) {
            if (it.next().equals(out)) {
              it.remove();
              break;
            }
          }
        }
      }
    }
  }
}
