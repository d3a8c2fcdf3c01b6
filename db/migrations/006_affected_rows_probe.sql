-- The sink's proof that this connection path counts affected rows as MySQL does without
-- CLIENT_FOUND_ROWS (shared/sink/session-check.ts): a no-op upsert of a row here must report 0.
-- The proof inserts its row inside a transaction it rolls back, so the table stays empty.
CREATE TABLE IF NOT EXISTS affected_rows_probe (
  id BIGINT NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
