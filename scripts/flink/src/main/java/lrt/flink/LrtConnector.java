package lrt.flink;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.streaming.api.functions.sink.RichSinkFunction;
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
 * The conformance runner's connector {@code 'lrt'} (ConformanceRunner): a lookup source over the
 * dimension file (a dimension table: option {@code table} names its rows in the file, by default
 * the table's name; FOR SYSTEM_TIME AS OF joins read them) and a sink that collects what each
 * statement wrote into SINKS, its changelog applied (SinkTable).
 */
public final class LrtConnector {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Every sink's rows, by table, in the order first written (the MiniCluster runs in this JVM). */
  static final Map<String, SinkTable> SINKS = new LinkedHashMap<>();

  private LrtConnector() {}

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
      return new CollectSink(
          context.getObjectIdentifier().getObjectName(), context.getPhysicalRowDataType(), context.getPrimaryKeyIndexes());
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

  /**
   * The collecting sink. With a primary key it takes an upsert changelog (no UPDATE_BEFORE) and
   * keeps one row per key, as the project's state table keeps it; without one, every change.
   */
  public static final class CollectSink implements DynamicTableSink {
    private final String table;
    private final DataType rowType;
    private final int[] key;

    CollectSink(String table, DataType rowType, int[] key) {
      this.table = table;
      this.rowType = rowType;
      this.key = key;
    }

    @Override
    public ChangelogMode getChangelogMode(ChangelogMode requestedMode) {
      return key.length > 0 ? ChangelogMode.upsert() : ChangelogMode.all();
    }

    @Override
    public SinkRuntimeProvider getSinkRuntimeProvider(Context context) {
      List<String> names = ((RowType) rowType.getLogicalType()).getFieldNames();
      return SinkFunctionProvider.of(
          new Collector(table, new ArrayList<>(names), key, context.createDataStructureConverter(rowType)));
    }

    @Override
    public DynamicTableSink copy() {
      return new CollectSink(table, rowType, key);
    }

    @Override
    public String asSummaryString() {
      return "lrt collect " + table;
    }
  }

  /** Applies each change to the sink's SinkTable in SINKS, its row as plain JSON data. */
  public static final class Collector extends RichSinkFunction<RowData> {
    private final String table;
    private final ArrayList<String> names;
    private final int[] key;
    private final DynamicTableSink.DataStructureConverter converter;
    private transient boolean opened;

    Collector(String table, ArrayList<String> names, int[] key, DynamicTableSink.DataStructureConverter converter) {
      this.table = table;
      this.names = names;
      this.key = key;
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
      for (int i = 0; i < row.getArity(); i++) out.put(names.get(i), ConformanceRunner.jsonValue(row.getField(i)));
      synchronized (SINKS) {
        SINKS.computeIfAbsent(table, t -> new SinkTable(key, names)).apply(value.getRowKind(), out);
      }
    }
  }

  /**
   * A sink's rows after its changelog. Keyed (PRIMARY KEY … NOT ENFORCED): an insert or update
   * replaces the key's row, a delete removes it — the final table, as a state table holds it after
   * its merges. Not keyed: a multiset, an update's old row or a delete retracting one equal row.
   */
  static final class SinkTable {
    private final int[] key;
    private final List<String> names;
    private final Map<List<Object>, Map<String, Object>> byKey = new LinkedHashMap<>();
    private final List<Map<String, Object>> rows = new ArrayList<>();

    SinkTable(int[] key, List<String> names) {
      this.key = key;
      this.names = names;
    }

    void apply(RowKind kind, Map<String, Object> row) {
      boolean adds = kind == RowKind.INSERT || kind == RowKind.UPDATE_AFTER;
      if (key.length > 0) {
        List<Object> k = new ArrayList<>();
        for (int i : key) k.add(row.get(names.get(i)));
        if (adds) byKey.put(k, row);
        else if (kind == RowKind.DELETE) byKey.remove(k);
      } else if (adds) {
        rows.add(row);
      } else {
        rows.remove(row);
      }
    }

    Collection<Map<String, Object>> rows() {
      return key.length > 0 ? byKey.values() : rows;
    }
  }
}
