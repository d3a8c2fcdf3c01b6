-- Records that can never be processed (not UTF-8/JSON, schema violation, unknown type or version,
-- oversize, rejected by the database), kept with their raw bytes and the reason so they can be
-- fixed and replayed. One row per Kafka record, whichever function saw it first.
CREATE TABLE IF NOT EXISTS event_dead_letter (
  id               BIGINT        NOT NULL AUTO_INCREMENT,
  kafka_topic      VARCHAR(249)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  kafka_partition  INT           NOT NULL,
  kafka_offset     BIGINT        NOT NULL,
  record_timestamp DATETIME(3)   NULL,
  record_key       VARBINARY(1024) NULL,
  record_value     LONGBLOB      NULL,
  headers          JSON          NULL,
  reason           VARCHAR(32)   NOT NULL,
  error_message    TEXT          NOT NULL,
  event_id         VARCHAR(255)  NULL,
  function_domain  VARCHAR(32)   NOT NULL,
  first_seen_at    DATETIME(3)   NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uq_dead_letter_coordinates (kafka_topic, kafka_partition, kafka_offset),
  KEY idx_dead_letter_reason_time (reason, first_seen_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
