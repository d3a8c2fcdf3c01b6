-- State built from events. Each row is merged, under its row lock, only from events the batch
-- inserts for the first time (see shared/mysql/sink.ts), so replays never count twice.
-- last_event_key orders events: zero-padded event time, payload version, event id; binary
-- collation so a plain string comparison is the order ("newest wins"). The *_key columns order the
-- events of one kind the same way (created_key: the newest order_create, and so on), so columns
-- set by one event type are newest-wins too, ties included.
CREATE TABLE IF NOT EXISTS order_wide (
  order_id        VARCHAR(64)   COLLATE utf8mb4_bin NOT NULL,
  user_id         VARCHAR(64)   COLLATE utf8mb4_bin NULL,
  product_id      VARCHAR(64)   COLLATE utf8mb4_bin NULL,
  quantity        INT           NULL,
  amount          DECIMAL(18,4) NULL,
  paid_amount     DECIMAL(18,4) NULL,
  pay_method      VARCHAR(32)   NULL,
  status          VARCHAR(16)   NULL COMMENT 'CREATED | PAID | CANCELLED, from the newest event',
  created_at      DATETIME(3)   NULL,
  created_key     VARCHAR(100)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  paid_at         DATETIME(3)   NULL,
  paid_key        VARCHAR(100)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  cancelled_at    DATETIME(3)   NULL,
  cancelled_key   VARCHAR(100)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  cancel_reason   VARCHAR(255)  NULL,
  user_name       VARCHAR(128)  NULL,
  user_level      VARCHAR(32)   NULL,
  region          VARCHAR(64)   NULL,
  product_name    VARCHAR(255)  NULL,
  category        VARCHAR(64)   NULL,
  brand           VARCHAR(64)   NULL,
  last_event_time DATETIME(3)   NULL,
  last_event_key  VARCHAR(100)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  updated_at      DATETIME(3)   NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (order_id),
  KEY idx_order_wide_user (user_id),
  KEY idx_order_wide_status_created (status, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS user_profile_wide (
  user_id         VARCHAR(64)   COLLATE utf8mb4_bin NOT NULL,
  login_count     BIGINT        NOT NULL DEFAULT 0,
  view_count      BIGINT        NOT NULL DEFAULT 0,
  purchase_count  BIGINT        NOT NULL DEFAULT 0,
  purchase_amount DECIMAL(30,4) NOT NULL DEFAULT 0,
  last_login_at   DATETIME(3)   NULL,
  last_login_key  VARCHAR(100)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  last_device     VARCHAR(64)   NULL,
  user_name       VARCHAR(128)  NULL,
  user_level      VARCHAR(32)   NULL,
  region          VARCHAR(64)   NULL,
  last_event_time DATETIME(3)   NULL,
  last_event_key  VARCHAR(100)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  updated_at      DATETIME(3)   NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (user_id),
  KEY idx_user_profile_last_event (last_event_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
