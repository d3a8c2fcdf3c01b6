-- Dimension tables the functions enrich events from (docs/architecture.md, contract 6). Maintained by the
-- business systems; lambda-realtime only reads them.
CREATE TABLE IF NOT EXISTS dim_user (
  user_id      VARCHAR(64)  COLLATE utf8mb4_bin NOT NULL,
  user_name    VARCHAR(128) NULL,
  user_level   VARCHAR(32)  NULL,
  region       VARCHAR(64)  NULL,
  updated_at   TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS dim_product (
  product_id   VARCHAR(64)   COLLATE utf8mb4_bin NOT NULL,
  product_name VARCHAR(255)  NULL,
  category     VARCHAR(64)   NULL,
  brand        VARCHAR(64)   NULL,
  price        DECIMAL(18,4) NULL,
  updated_at   TIMESTAMP(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (product_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
