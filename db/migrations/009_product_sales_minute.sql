-- Orders placed per product and minute (shared/domains/order.ts, product_sales_minute): written in
-- SQL, merged exactly once per order_create event. window_start is the minute of the event time, in
-- UTC; a late event is merged into its own minute. GMV as ordered (SUM(amount)), the order count,
-- the quantity and the largest order. The dashboard query, per product over the last hour:
--   SELECT window_start, product_id, gmv, order_count FROM product_sales_minute
--    WHERE window_start >= UTC_TIMESTAMP(3) - INTERVAL 1 HOUR ORDER BY window_start, gmv DESC;
CREATE TABLE IF NOT EXISTS product_sales_minute (
  product_id      VARCHAR(64)   COLLATE utf8mb4_bin NOT NULL,
  window_start    DATETIME(3)   NOT NULL COMMENT 'the minute, UTC',
  order_count     BIGINT        NOT NULL DEFAULT 0,
  quantity        BIGINT        NOT NULL DEFAULT 0,
  gmv             DECIMAL(30,4) NOT NULL DEFAULT 0,
  max_amount      DECIMAL(18,4) NULL,
  last_event_time DATETIME(3)   NULL,
  last_event_key  VARCHAR(100)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  updated_at      DATETIME(3)   NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (product_id, window_start),
  KEY idx_product_sales_minute_window (window_start)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
