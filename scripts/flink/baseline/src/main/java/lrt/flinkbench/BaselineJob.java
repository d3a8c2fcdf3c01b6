package lrt.flinkbench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.types.Row;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.connector.jdbc.JdbcConnectionOptions;
import org.apache.flink.connector.jdbc.JdbcExecutionOptions;
import org.apache.flink.connector.jdbc.JdbcSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The baseline `npm run bench` measures the project against (bench/compare.ts): the Flink 1.20
 * DataStream job it replaces, run from scratch as one local MiniCluster process at parallelism 1.
 *
 * <p>Kafka source (every per-domain topic, from the earliest offset, a new consumer group) → one
 * process function that parses each record's JSON, checks the fields its type needs, enriches it
 * from the dimension tables (loaded whole at open, Flink's lookup.cache FULL) and maps it to its
 * domain's wide-table row (the same columns the project writes) → one JDBC sink per event table,
 * an upsert by event_id (INSERT … ON DUPLICATE KEY UPDATE, as Flink's MySQL dialect writes it),
 * 1,000-row batches or every 200 ms, MySQL Connector/J with rewriteBatchedStatements=true over
 * verified TLS. Records it cannot parse are dropped (the project dead-letters them); no state
 * tables are written (the project merges user_profile_wide and order_wide as well).
 *
 * <p>Configured by the environment: BENCH_BROKERS, BENCH_TOPICS (comma-separated), BENCH_GROUP,
 * DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, DB_NAME, DB_TLS_CA (PEM; the server is verified).
 */
public final class BaselineJob {
  private BaselineJob() {}

  static final String[] USER_COLUMNS = {
    "event_id", "event_type", "event_time", "event_version", "source", "user_id", "login_time",
    "device", "ip", "order_id", "product_id", "amount", "currency", "page", "duration_ms",
    "user_name", "user_level", "region", "product_name", "category", "brand",
    "kafka_topic", "kafka_partition", "kafka_offset"
  };
  static final String[] ORDER_COLUMNS = {
    "event_id", "event_type", "event_time", "event_version", "source", "order_id", "user_id",
    "product_id", "quantity", "amount", "pay_method", "pay_time", "cancel_reason",
    "user_name", "user_level", "region", "product_name", "category", "brand",
    "kafka_topic", "kafka_partition", "kafka_offset"
  };
  static final String[] PRODUCT_COLUMNS = {
    "event_id", "event_type", "event_time", "event_version", "source", "product_id", "user_id",
    "referrer", "keyword", "result_count", "scene", "recommended_product_ids",
    "product_name", "category", "brand", "user_name", "user_level", "region",
    "kafka_topic", "kafka_partition", "kafka_offset"
  };

  /** Each table's column types, in column order: s string, t datetime, d decimal, i int, l bigint. */
  static final RowTypeInfo USER_ROW = rowType("sstss" + "stssssdssi" + "ssssss" + "sil");
  static final RowTypeInfo ORDER_ROW = rowType("sstss" + "sssidsts" + "ssssss" + "sil");
  static final RowTypeInfo PRODUCT_ROW = rowType("sstss" + "ssssiss" + "ssssss" + "sil");
  static final OutputTag<Row> ORDER = new OutputTag<>("order", ORDER_ROW);
  static final OutputTag<Row> PRODUCT = new OutputTag<>("product", PRODUCT_ROW);

  static RowTypeInfo rowType(String spec) {
    TypeInformation<?>[] types = new TypeInformation<?>[spec.length()];
    for (int i = 0; i < types.length; i++) {
      switch (spec.charAt(i)) {
        case 's': types[i] = Types.STRING; break;
        case 't': types[i] = Types.LOCAL_DATE_TIME; break;
        case 'd': types[i] = Types.BIG_DEC; break;
        case 'i': types[i] = Types.INT; break;
        default: types[i] = Types.LONG;
      }
    }
    return new RowTypeInfo(types);
  }

  /** A Kafka record as the source hands it on: its coordinates and value. */
  public static final class In {
    public String topic;
    public int partition;
    public long offset;
    public byte[] value;

    public In() {}
  }

  public static void main(String[] args) throws Exception {
    String brokers = env("BENCH_BROKERS");
    List<String> topics = Arrays.asList(env("BENCH_TOPICS").split(","));
    String url = jdbcUrl();
    String user = env("DB_USER");
    String password = env("DB_PASSWORD");

    Configuration conf = new Configuration();
    conf.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.parse("64m"));
    conf.set(TaskManagerOptions.NETWORK_MEMORY_MIN, MemorySize.parse("64m"));
    conf.set(TaskManagerOptions.NETWORK_MEMORY_MAX, MemorySize.parse("64m"));
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, conf);
    // Records pass between the chained operators by reference, as a tuned job's would.
    env.getConfig().enableObjectReuse();
    env.enableCheckpointing(60_000);

    KafkaSource<In> source =
        KafkaSource.<In>builder()
            .setBootstrapServers(brokers)
            .setTopics(topics)
            .setGroupId(env("BENCH_GROUP"))
            .setStartingOffsets(OffsetsInitializer.earliest())
            .setDeserializer(
                new KafkaRecordDeserializationSchema<In>() {
                  @Override
                  public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<In> out) {
                    In in = new In();
                    in.topic = record.topic();
                    in.partition = record.partition();
                    in.offset = record.offset();
                    in.value = record.value();
                    out.collect(in);
                  }

                  @Override
                  public TypeInformation<In> getProducedType() {
                    return TypeInformation.of(In.class);
                  }
                })
            .build();

    SingleOutputStreamOperator<Row> users =
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "kafka")
            .process(new ToRows(url, user, password))
            .returns(USER_ROW)
            .name("parse, enrich, map");

    JdbcExecutionOptions batching =
        JdbcExecutionOptions.builder().withBatchSize(1_000).withBatchIntervalMs(200).withMaxRetries(3).build();
    JdbcConnectionOptions connection =
        new JdbcConnectionOptions.JdbcConnectionOptionsBuilder()
            .withUrl(url)
            .withDriverName("com.mysql.cj.jdbc.Driver")
            .withUsername(user)
            .withPassword(password)
            .build();
    users.addSink(JdbcSink.<Row>sink(upsert("user_event_wide", USER_COLUMNS), BaselineJob::bind, batching, connection))
        .name("jdbc user_event_wide");
    users.getSideOutput(ORDER)
        .addSink(JdbcSink.<Row>sink(upsert("order_event_wide", ORDER_COLUMNS), BaselineJob::bind, batching, connection))
        .name("jdbc order_event_wide");
    users.getSideOutput(PRODUCT)
        .addSink(JdbcSink.<Row>sink(upsert("product_event_wide", PRODUCT_COLUMNS), BaselineJob::bind, batching, connection))
        .name("jdbc product_event_wide");
    System.err.println("flink-baseline: submitting the job (parallelism 1, local MiniCluster)");
    env.execute("lambda-realtime flink baseline");
  }

  static void bind(PreparedStatement statement, Row row) throws SQLException {
    for (int i = 0; i < row.getArity(); i++) statement.setObject(i + 1, row.getField(i));
  }

  /** INSERT … ON DUPLICATE KEY UPDATE, as Flink's MySQL dialect builds an upsert by the key. */
  static String upsert(String table, String[] columns) {
    StringBuilder sql = new StringBuilder("INSERT INTO ").append(table).append(" (");
    sql.append(String.join(", ", columns)).append(") VALUES (");
    sql.append(String.join(", ", java.util.Collections.nCopies(columns.length, "?"))).append(")");
    sql.append(" ON DUPLICATE KEY UPDATE ");
    List<String> updates = new ArrayList<>();
    for (String c : columns) if (!c.equals("event_id")) updates.add(c + "=VALUES(" + c + ")");
    return sql.append(String.join(", ", updates)).toString();
  }

  static String env(String name) {
    String value = System.getenv(name);
    if (value == null || value.isEmpty()) throw new IllegalArgumentException(name + " is not set");
    return value;
  }

  /** Connector/J over TLS, the server's certificate verified against DB_TLS_CA (a PKCS12 trust store made from it). */
  static String jdbcUrl() throws Exception {
    File store = File.createTempFile("lrt-flink-ca", ".p12");
    store.deleteOnExit();
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    try (InputStream pem = new FileInputStream(env("DB_TLS_CA"))) {
      int i = 0;
      for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(pem)) {
        keys.setCertificateEntry("ca" + i++, cert);
      }
    }
    char[] secret = "lrt-bench".toCharArray();
    try (FileOutputStream out = new FileOutputStream(store)) {
      keys.store(out, secret);
    }
    return "jdbc:mysql://" + env("DB_HOST") + ":" + env("DB_PORT") + "/" + env("DB_NAME")
        + "?rewriteBatchedStatements=true&sslMode=VERIFY_IDENTITY"
        + "&trustCertificateKeyStoreUrl=" + store.toURI()
        + "&trustCertificateKeyStoreType=PKCS12&trustCertificateKeyStorePassword=lrt-bench"
        + "&connectionTimeZone=UTC&forceConnectionTimeZoneToSession=true&characterEncoding=UTF-8";
  }

  /** Parse, check, enrich and map: the user domain's rows on the main output, the others on side outputs. */
  static final class ToRows extends ProcessFunction<In, Row> {
    private final String url;
    private final String user;
    private final String password;
    private transient ObjectMapper json;
    private transient Map<String, String[]> users;
    private transient Map<String, String[]> products;
    private transient long dropped;

    ToRows(String url, String user, String password) {
      this.url = url;
      this.user = user;
      this.password = password;
    }

    @Override
    public void open(Configuration parameters) throws Exception {
      json = new ObjectMapper();
      users = new HashMap<>();
      products = new HashMap<>();
      try (Connection c = DriverManager.getConnection(url, user, password)) {
        load(c, "SELECT user_id, user_name, user_level, region FROM dim_user", users);
        load(c, "SELECT product_id, product_name, category, brand FROM dim_product", products);
      }
    }

    private static void load(Connection c, String sql, Map<String, String[]> into) throws SQLException {
      try (PreparedStatement s = c.prepareStatement(sql);
          ResultSet r = s.executeQuery()) {
        while (r.next()) into.put(r.getString(1), new String[] {r.getString(2), r.getString(3), r.getString(4)});
      }
    }

    @Override
    public void close() {
      if (dropped > 0) System.err.println("flink-baseline: " + dropped + " records dropped (not a valid event)");
    }

    @Override
    public void processElement(In in, Context ctx, Collector<Row> out) {
      JsonNode e;
      try {
        if (in.value == null) throw new IllegalArgumentException("tombstone");
        e = json.readTree(new String(in.value, StandardCharsets.UTF_8));
        Row row = map(e, in);
        String domain = e.path("domain").asText();
        if (domain.equals("user")) out.collect(row);
        else if (domain.equals("order")) ctx.output(ORDER, row);
        else ctx.output(PRODUCT, row);
      } catch (Exception bad) {
        if (dropped++ == 0) {
          Throwable root = bad;
          while (root.getCause() != null) root = root.getCause();
          System.err.println("flink-baseline: first record dropped: " + root);
        }
      }
    }

    private Row map(JsonNode e, In in) {
      String type = text(e, "type", true);
      JsonNode p = e.get("payload");
      if (p == null || !p.isObject()) throw new IllegalArgumentException("payload");
      Object[] head = {
        text(e, "eventId", true), type, time(e.get("timestamp")), text(e, "version", true), text(e, "source", true)
      };
      Object[] kafka = {in.topic, in.partition, in.offset};
      switch (type) {
        case "user_login":
        case "user_purchase":
        case "user_view": {
          if (!e.path("domain").asText().equals("user")) throw new IllegalArgumentException("domain");
          String userId = text(p, "userId", true);
          String[] u = users.get(userId);
          boolean login = type.equals("user_login");
          boolean purchase = type.equals("user_purchase");
          String productId = login ? null : text(p, "productId", purchase);
          String[] pr = productId == null ? null : products.get(productId);
          return row(head, new Object[] {
            userId,
            login ? time(p.get("loginTime")) : null,
            login ? text(p, "device", true) : null,
            login ? text(p, "ip", true) : null,
            purchase ? text(p, "orderId", true) : null,
            productId,
            purchase ? new BigDecimal(text(p, "amount", true)) : null,
            purchase ? text(p, "currency", false) : null,
            type.equals("user_view") ? text(p, "page", true) : null,
            type.equals("user_view") && p.has("durationMs") ? p.get("durationMs").intValue() : null,
            col(u, 0), col(u, 1), col(u, 2), col(pr, 0), col(pr, 1), col(pr, 2)
          }, kafka);
        }
        case "order_create":
        case "order_pay":
        case "order_cancel": {
          if (!e.path("domain").asText().equals("order")) throw new IllegalArgumentException("domain");
          String userId = text(p, "userId", true);
          String[] u = users.get(userId);
          boolean create = type.equals("order_create");
          boolean pay = type.equals("order_pay");
          String productId = create ? text(p, "productId", true) : null;
          String[] pr = productId == null ? null : products.get(productId);
          Integer quantity = create ? p.path("quantity").intValue() : null;
          if (create && (quantity == null || quantity < 1)) throw new IllegalArgumentException("quantity");
          return row(head, new Object[] {
            text(p, "orderId", true), userId, productId, quantity,
            create || pay ? new BigDecimal(text(p, "amount", true)) : null,
            pay ? text(p, "payMethod", true) : null,
            pay ? time(p.get("payTime")) : null,
            type.equals("order_cancel") ? text(p, "reason", false) : null,
            col(u, 0), col(u, 1), col(u, 2), col(pr, 0), col(pr, 1), col(pr, 2)
          }, kafka);
        }
        case "product_view":
        case "product_search":
        case "product_recommend": {
          if (!e.path("domain").asText().equals("product")) throw new IllegalArgumentException("domain");
          String userId = text(p, "userId", false);
          String[] u = userId == null ? null : users.get(userId);
          boolean view = type.equals("product_view");
          boolean search = type.equals("product_search");
          String productId = view ? text(p, "productId", true) : null;
          String[] pr = productId == null ? null : products.get(productId);
          return row(head, new Object[] {
            productId, userId,
            view ? text(p, "referrer", false) : null,
            search ? text(p, "keyword", true) : null,
            search ? p.path("resultCount").intValue() : null,
            type.equals("product_recommend") ? text(p, "scene", false) : null,
            type.equals("product_recommend") ? p.path("productIds").toString() : null,
            col(pr, 0), col(pr, 1), col(pr, 2), col(u, 0), col(u, 1), col(u, 2)
          }, kafka);
        }
        default:
          throw new IllegalArgumentException("unknown type");
      }
    }

    private static Row row(Object[] head, Object[] body, Object[] kafka) {
      Object[] row = new Object[head.length + body.length + kafka.length];
      System.arraycopy(head, 0, row, 0, head.length);
      System.arraycopy(body, 0, row, head.length, body.length);
      System.arraycopy(kafka, 0, row, head.length + body.length, kafka.length);
      return Row.of(row);
    }

    private static String col(String[] dim, int i) {
      return dim == null ? null : dim[i];
    }

    private static String text(JsonNode node, String field, boolean required) {
      JsonNode v = node.get(field);
      if (v == null || v.isNull()) {
        if (required) throw new IllegalArgumentException(field);
        return null;
      }
      if (!v.isTextual() || v.textValue().isEmpty()) throw new IllegalArgumentException(field);
      return v.textValue();
    }

    private static LocalDateTime time(JsonNode millis) {
      if (millis == null || !millis.canConvertToLong()) throw new IllegalArgumentException("time");
      return LocalDateTime.ofInstant(Instant.ofEpochMilli(millis.longValue()), ZoneOffset.UTC);
    }
  }
}
