-- LAST_VALUE skips NULLs, as Flink's does (shared/tables/table.ts, merge lastValue): a column that
-- may be NULL keeps the newest non-NULL value, ordered by an order key of its own, set only by
-- events whose value is not NULL. A newer order_cancel without a reason, or from a user the
-- dimension does not know yet, no longer erases the reason or the region — whatever order the
-- events arrive in. The DEFAULT '' keeps an older writer (a deployment rolling back) inserting.
ALTER TABLE order_wide
  ADD COLUMN cancel_reason_key VARCHAR(100) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '' AFTER cancel_reason,
  ADD COLUMN user_name_key     VARCHAR(100) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '' AFTER user_name,
  ADD COLUMN user_level_key    VARCHAR(100) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '' AFTER user_level,
  ADD COLUMN region_key        VARCHAR(100) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '' AFTER region,
  ADD COLUMN product_name_key  VARCHAR(100) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '' AFTER product_name,
  ADD COLUMN category_key      VARCHAR(100) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '' AFTER category,
  ADD COLUMN brand_key         VARCHAR(100) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '' AFTER brand;
-- Existing rows: a value there came from the newest event of its kind.
UPDATE order_wide SET
  cancel_reason_key = IF(cancel_reason IS NULL, '', cancelled_key),
  user_name_key     = IF(user_name IS NULL, '', last_event_key),
  user_level_key    = IF(user_level IS NULL, '', last_event_key),
  region_key        = IF(region IS NULL, '', last_event_key),
  product_name_key  = IF(product_name IS NULL, '', created_key),
  category_key      = IF(category IS NULL, '', created_key),
  brand_key         = IF(brand IS NULL, '', created_key);

ALTER TABLE user_profile_wide
  ADD COLUMN user_name_key  VARCHAR(100) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '' AFTER user_name,
  ADD COLUMN user_level_key VARCHAR(100) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '' AFTER user_level,
  ADD COLUMN region_key     VARCHAR(100) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '' AFTER region;
UPDATE user_profile_wide SET
  user_name_key  = IF(user_name IS NULL, '', last_event_key),
  user_level_key = IF(user_level IS NULL, '', last_event_key),
  region_key     = IF(region IS NULL, '', last_event_key);
