-- user_event_wide, mysql 8.4.8
INSERT INTO `user_event_wide` (
  `event_id`,
  `event_type`,
  `event_time`,
  `event_version`,
  `source`,
  `user_id`,
  `login_time`,
  `device`,
  `ip`,
  `order_id`,
  `product_id`,
  `amount`,
  `currency`,
  `page`,
  `duration_ms`,
  `user_name`,
  `user_level`,
  `region`,
  `product_name`,
  `category`,
  `brand`,
  `kafka_topic`,
  `kafka_partition`,
  `kafka_offset`
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) AS `new`
ON DUPLICATE KEY UPDATE
  `event_id` = `user_event_wide`.`event_id`;

-- user_profile_wide, mysql 8.4.8
INSERT INTO `user_profile_wide` (
  `user_id`,
  `login_count`,
  `view_count`,
  `purchase_count`,
  `purchase_amount`,
  `last_login_at`,
  `last_login_key`,
  `last_device`,
  `user_name`,
  `user_level`,
  `region`,
  `user_name_key`,
  `user_level_key`,
  `region_key`,
  `last_event_time`,
  `last_event_key`
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) AS `new`
ON DUPLICATE KEY UPDATE
  `login_count` = `user_profile_wide`.`login_count` + `new`.`login_count`,
  `view_count` = `user_profile_wide`.`view_count` + `new`.`view_count`,
  `purchase_count` = `user_profile_wide`.`purchase_count` + `new`.`purchase_count`,
  `purchase_amount` = `user_profile_wide`.`purchase_amount` + `new`.`purchase_amount`,
  `last_device` = IF(`new`.`last_login_key` > `user_profile_wide`.`last_login_key`, `new`.`last_device`, `user_profile_wide`.`last_device`),
  `last_login_at` = IF(`new`.`last_login_key` > `user_profile_wide`.`last_login_key`, `new`.`last_login_at`, `user_profile_wide`.`last_login_at`),
  `user_name` = IF(`new`.`user_name_key` > `user_profile_wide`.`user_name_key`, `new`.`user_name`, `user_profile_wide`.`user_name`),
  `user_level` = IF(`new`.`user_level_key` > `user_profile_wide`.`user_level_key`, `new`.`user_level`, `user_profile_wide`.`user_level`),
  `region` = IF(`new`.`region_key` > `user_profile_wide`.`region_key`, `new`.`region`, `user_profile_wide`.`region`),
  `last_event_time` = IF(`new`.`last_event_key` > `user_profile_wide`.`last_event_key`, `new`.`last_event_time`, `user_profile_wide`.`last_event_time`),
  `last_login_key` = IF(`new`.`last_login_key` > `user_profile_wide`.`last_login_key`, `new`.`last_login_key`, `user_profile_wide`.`last_login_key`),
  `user_name_key` = IF(`new`.`user_name_key` > `user_profile_wide`.`user_name_key`, `new`.`user_name_key`, `user_profile_wide`.`user_name_key`),
  `user_level_key` = IF(`new`.`user_level_key` > `user_profile_wide`.`user_level_key`, `new`.`user_level_key`, `user_profile_wide`.`user_level_key`),
  `region_key` = IF(`new`.`region_key` > `user_profile_wide`.`region_key`, `new`.`region_key`, `user_profile_wide`.`region_key`),
  `last_event_key` = IF(`new`.`last_event_key` > `user_profile_wide`.`last_event_key`, `new`.`last_event_key`, `user_profile_wide`.`last_event_key`);

-- order_event_wide, mysql 8.4.8
INSERT INTO `order_event_wide` (
  `event_id`,
  `event_type`,
  `event_time`,
  `event_version`,
  `source`,
  `order_id`,
  `user_id`,
  `product_id`,
  `quantity`,
  `amount`,
  `pay_method`,
  `pay_time`,
  `cancel_reason`,
  `user_name`,
  `user_level`,
  `region`,
  `product_name`,
  `category`,
  `brand`,
  `kafka_topic`,
  `kafka_partition`,
  `kafka_offset`
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) AS `new`
ON DUPLICATE KEY UPDATE
  `event_id` = `order_event_wide`.`event_id`;

-- order_wide, mysql 8.4.8
INSERT INTO `order_wide` (
  `order_id`,
  `user_id`,
  `product_id`,
  `quantity`,
  `amount`,
  `paid_amount`,
  `pay_method`,
  `status`,
  `created_at`,
  `created_key`,
  `paid_at`,
  `paid_key`,
  `cancelled_at`,
  `cancelled_key`,
  `cancel_reason`,
  `cancel_reason_key`,
  `user_name`,
  `user_level`,
  `region`,
  `user_name_key`,
  `user_level_key`,
  `region_key`,
  `product_name`,
  `category`,
  `brand`,
  `product_name_key`,
  `category_key`,
  `brand_key`,
  `last_event_time`,
  `last_event_key`
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) AS `new`
ON DUPLICATE KEY UPDATE
  `user_id` = IF(`new`.`last_event_key` > `order_wide`.`last_event_key`, `new`.`user_id`, `order_wide`.`user_id`),
  `user_name` = IF(`new`.`user_name_key` > `order_wide`.`user_name_key`, `new`.`user_name`, `order_wide`.`user_name`),
  `user_level` = IF(`new`.`user_level_key` > `order_wide`.`user_level_key`, `new`.`user_level`, `order_wide`.`user_level`),
  `region` = IF(`new`.`region_key` > `order_wide`.`region_key`, `new`.`region`, `order_wide`.`region`),
  `product_name` = IF(`new`.`product_name_key` > `order_wide`.`product_name_key`, `new`.`product_name`, `order_wide`.`product_name`),
  `category` = IF(`new`.`category_key` > `order_wide`.`category_key`, `new`.`category`, `order_wide`.`category`),
  `brand` = IF(`new`.`brand_key` > `order_wide`.`brand_key`, `new`.`brand`, `order_wide`.`brand`),
  `product_id` = IF(`new`.`created_key` > `order_wide`.`created_key`, `new`.`product_id`, `order_wide`.`product_id`),
  `quantity` = IF(`new`.`created_key` > `order_wide`.`created_key`, `new`.`quantity`, `order_wide`.`quantity`),
  `amount` = IF(`new`.`created_key` > `order_wide`.`created_key`, `new`.`amount`, `order_wide`.`amount`),
  `created_at` = IF(`new`.`created_key` > `order_wide`.`created_key`, `new`.`created_at`, `order_wide`.`created_at`),
  `paid_amount` = IF(`new`.`paid_key` > `order_wide`.`paid_key`, `new`.`paid_amount`, `order_wide`.`paid_amount`),
  `pay_method` = IF(`new`.`paid_key` > `order_wide`.`paid_key`, `new`.`pay_method`, `order_wide`.`pay_method`),
  `paid_at` = IF(`new`.`paid_key` > `order_wide`.`paid_key`, `new`.`paid_at`, `order_wide`.`paid_at`),
  `cancel_reason` = IF(`new`.`cancel_reason_key` > `order_wide`.`cancel_reason_key`, `new`.`cancel_reason`, `order_wide`.`cancel_reason`),
  `cancelled_at` = IF(`new`.`cancelled_key` > `order_wide`.`cancelled_key`, `new`.`cancelled_at`, `order_wide`.`cancelled_at`),
  `status` = IF(`new`.`last_event_key` > `order_wide`.`last_event_key`, `new`.`status`, `order_wide`.`status`),
  `last_event_time` = IF(`new`.`last_event_key` > `order_wide`.`last_event_key`, `new`.`last_event_time`, `order_wide`.`last_event_time`),
  `user_name_key` = IF(`new`.`user_name_key` > `order_wide`.`user_name_key`, `new`.`user_name_key`, `order_wide`.`user_name_key`),
  `user_level_key` = IF(`new`.`user_level_key` > `order_wide`.`user_level_key`, `new`.`user_level_key`, `order_wide`.`user_level_key`),
  `region_key` = IF(`new`.`region_key` > `order_wide`.`region_key`, `new`.`region_key`, `order_wide`.`region_key`),
  `product_name_key` = IF(`new`.`product_name_key` > `order_wide`.`product_name_key`, `new`.`product_name_key`, `order_wide`.`product_name_key`),
  `category_key` = IF(`new`.`category_key` > `order_wide`.`category_key`, `new`.`category_key`, `order_wide`.`category_key`),
  `brand_key` = IF(`new`.`brand_key` > `order_wide`.`brand_key`, `new`.`brand_key`, `order_wide`.`brand_key`),
  `created_key` = IF(`new`.`created_key` > `order_wide`.`created_key`, `new`.`created_key`, `order_wide`.`created_key`),
  `paid_key` = IF(`new`.`paid_key` > `order_wide`.`paid_key`, `new`.`paid_key`, `order_wide`.`paid_key`),
  `cancel_reason_key` = IF(`new`.`cancel_reason_key` > `order_wide`.`cancel_reason_key`, `new`.`cancel_reason_key`, `order_wide`.`cancel_reason_key`),
  `cancelled_key` = IF(`new`.`cancelled_key` > `order_wide`.`cancelled_key`, `new`.`cancelled_key`, `order_wide`.`cancelled_key`),
  `last_event_key` = IF(`new`.`last_event_key` > `order_wide`.`last_event_key`, `new`.`last_event_key`, `order_wide`.`last_event_key`);

-- product_sales_minute, mysql 8.4.8
INSERT INTO `product_sales_minute` (
  `product_id`,
  `window_start`,
  `order_count`,
  `quantity`,
  `gmv`,
  `max_amount`,
  `last_event_time`,
  `last_event_key`
) VALUES (?, ?, ?, ?, ?, ?, ?, ?) AS `new`
ON DUPLICATE KEY UPDATE
  `order_count` = `product_sales_minute`.`order_count` + `new`.`order_count`,
  `quantity` = `product_sales_minute`.`quantity` + `new`.`quantity`,
  `gmv` = `product_sales_minute`.`gmv` + `new`.`gmv`,
  `max_amount` = IF(`new`.`max_amount` IS NOT NULL AND (`product_sales_minute`.`max_amount` IS NULL OR `new`.`max_amount` > `product_sales_minute`.`max_amount`), `new`.`max_amount`, `product_sales_minute`.`max_amount`),
  `last_event_time` = IF(`new`.`last_event_key` > `product_sales_minute`.`last_event_key`, `new`.`last_event_time`, `product_sales_minute`.`last_event_time`),
  `last_event_key` = IF(`new`.`last_event_key` > `product_sales_minute`.`last_event_key`, `new`.`last_event_key`, `product_sales_minute`.`last_event_key`);

-- product_event_wide, mysql 8.4.8
INSERT INTO `product_event_wide` (
  `event_id`,
  `event_type`,
  `event_time`,
  `event_version`,
  `source`,
  `product_id`,
  `user_id`,
  `referrer`,
  `keyword`,
  `result_count`,
  `scene`,
  `recommended_product_ids`,
  `product_name`,
  `category`,
  `brand`,
  `user_name`,
  `user_level`,
  `region`,
  `kafka_topic`,
  `kafka_partition`,
  `kafka_offset`
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) AS `new`
ON DUPLICATE KEY UPDATE
  `event_id` = `product_event_wide`.`event_id`;

-- dim_user, mysql 8.4.8
INSERT INTO `dim_user` (
  `user_id`,
  `user_name`,
  `user_level`,
  `region`
) VALUES (?, ?, ?, ?) AS `new`
ON DUPLICATE KEY UPDATE
  `user_id` = `dim_user`.`user_id`;

-- dim_product, mysql 8.4.8
INSERT INTO `dim_product` (
  `product_id`,
  `product_name`,
  `category`,
  `brand`,
  `price`
) VALUES (?, ?, ?, ?, ?) AS `new`
ON DUPLICATE KEY UPDATE
  `product_id` = `dim_product`.`product_id`;

-- event_dead_letter, mysql 8.4.8
INSERT INTO `event_dead_letter` (
  `kafka_topic`,
  `kafka_partition`,
  `kafka_offset`,
  `record_timestamp`,
  `record_timestamp_ms`,
  `record_key`,
  `record_value`,
  `headers`,
  `reason`,
  `error_message`,
  `event_id`,
  `function_domain`
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) AS `new`
ON DUPLICATE KEY UPDATE
  `kafka_topic` = `event_dead_letter`.`kafka_topic`;

-- affected_rows_probe, mysql 8.4.8
INSERT INTO `affected_rows_probe` (
  `id`
) VALUES (?) AS `new`
ON DUPLICATE KEY UPDATE
  `id` = `affected_rows_probe`.`id`;

-- user_event_wide, mariadb 10.11.6-MariaDB
INSERT INTO `user_event_wide` (
  `event_id`,
  `event_type`,
  `event_time`,
  `event_version`,
  `source`,
  `user_id`,
  `login_time`,
  `device`,
  `ip`,
  `order_id`,
  `product_id`,
  `amount`,
  `currency`,
  `page`,
  `duration_ms`,
  `user_name`,
  `user_level`,
  `region`,
  `product_name`,
  `category`,
  `brand`,
  `kafka_topic`,
  `kafka_partition`,
  `kafka_offset`
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON DUPLICATE KEY UPDATE
  `event_id` = `user_event_wide`.`event_id`;

-- user_profile_wide, mariadb 10.11.6-MariaDB
INSERT INTO `user_profile_wide` (
  `user_id`,
  `login_count`,
  `view_count`,
  `purchase_count`,
  `purchase_amount`,
  `last_login_at`,
  `last_login_key`,
  `last_device`,
  `user_name`,
  `user_level`,
  `region`,
  `user_name_key`,
  `user_level_key`,
  `region_key`,
  `last_event_time`,
  `last_event_key`
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON DUPLICATE KEY UPDATE
  `login_count` = `user_profile_wide`.`login_count` + VALUES(`login_count`),
  `view_count` = `user_profile_wide`.`view_count` + VALUES(`view_count`),
  `purchase_count` = `user_profile_wide`.`purchase_count` + VALUES(`purchase_count`),
  `purchase_amount` = `user_profile_wide`.`purchase_amount` + VALUES(`purchase_amount`),
  `last_device` = IF(VALUES(`last_login_key`) > `user_profile_wide`.`last_login_key`, VALUES(`last_device`), `user_profile_wide`.`last_device`),
  `last_login_at` = IF(VALUES(`last_login_key`) > `user_profile_wide`.`last_login_key`, VALUES(`last_login_at`), `user_profile_wide`.`last_login_at`),
  `user_name` = IF(VALUES(`user_name_key`) > `user_profile_wide`.`user_name_key`, VALUES(`user_name`), `user_profile_wide`.`user_name`),
  `user_level` = IF(VALUES(`user_level_key`) > `user_profile_wide`.`user_level_key`, VALUES(`user_level`), `user_profile_wide`.`user_level`),
  `region` = IF(VALUES(`region_key`) > `user_profile_wide`.`region_key`, VALUES(`region`), `user_profile_wide`.`region`),
  `last_event_time` = IF(VALUES(`last_event_key`) > `user_profile_wide`.`last_event_key`, VALUES(`last_event_time`), `user_profile_wide`.`last_event_time`),
  `last_login_key` = IF(VALUES(`last_login_key`) > `user_profile_wide`.`last_login_key`, VALUES(`last_login_key`), `user_profile_wide`.`last_login_key`),
  `user_name_key` = IF(VALUES(`user_name_key`) > `user_profile_wide`.`user_name_key`, VALUES(`user_name_key`), `user_profile_wide`.`user_name_key`),
  `user_level_key` = IF(VALUES(`user_level_key`) > `user_profile_wide`.`user_level_key`, VALUES(`user_level_key`), `user_profile_wide`.`user_level_key`),
  `region_key` = IF(VALUES(`region_key`) > `user_profile_wide`.`region_key`, VALUES(`region_key`), `user_profile_wide`.`region_key`),
  `last_event_key` = IF(VALUES(`last_event_key`) > `user_profile_wide`.`last_event_key`, VALUES(`last_event_key`), `user_profile_wide`.`last_event_key`);

-- order_event_wide, mariadb 10.11.6-MariaDB
INSERT INTO `order_event_wide` (
  `event_id`,
  `event_type`,
  `event_time`,
  `event_version`,
  `source`,
  `order_id`,
  `user_id`,
  `product_id`,
  `quantity`,
  `amount`,
  `pay_method`,
  `pay_time`,
  `cancel_reason`,
  `user_name`,
  `user_level`,
  `region`,
  `product_name`,
  `category`,
  `brand`,
  `kafka_topic`,
  `kafka_partition`,
  `kafka_offset`
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON DUPLICATE KEY UPDATE
  `event_id` = `order_event_wide`.`event_id`;

-- order_wide, mariadb 10.11.6-MariaDB
INSERT INTO `order_wide` (
  `order_id`,
  `user_id`,
  `product_id`,
  `quantity`,
  `amount`,
  `paid_amount`,
  `pay_method`,
  `status`,
  `created_at`,
  `created_key`,
  `paid_at`,
  `paid_key`,
  `cancelled_at`,
  `cancelled_key`,
  `cancel_reason`,
  `cancel_reason_key`,
  `user_name`,
  `user_level`,
  `region`,
  `user_name_key`,
  `user_level_key`,
  `region_key`,
  `product_name`,
  `category`,
  `brand`,
  `product_name_key`,
  `category_key`,
  `brand_key`,
  `last_event_time`,
  `last_event_key`
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON DUPLICATE KEY UPDATE
  `user_id` = IF(VALUES(`last_event_key`) > `order_wide`.`last_event_key`, VALUES(`user_id`), `order_wide`.`user_id`),
  `user_name` = IF(VALUES(`user_name_key`) > `order_wide`.`user_name_key`, VALUES(`user_name`), `order_wide`.`user_name`),
  `user_level` = IF(VALUES(`user_level_key`) > `order_wide`.`user_level_key`, VALUES(`user_level`), `order_wide`.`user_level`),
  `region` = IF(VALUES(`region_key`) > `order_wide`.`region_key`, VALUES(`region`), `order_wide`.`region`),
  `product_name` = IF(VALUES(`product_name_key`) > `order_wide`.`product_name_key`, VALUES(`product_name`), `order_wide`.`product_name`),
  `category` = IF(VALUES(`category_key`) > `order_wide`.`category_key`, VALUES(`category`), `order_wide`.`category`),
  `brand` = IF(VALUES(`brand_key`) > `order_wide`.`brand_key`, VALUES(`brand`), `order_wide`.`brand`),
  `product_id` = IF(VALUES(`created_key`) > `order_wide`.`created_key`, VALUES(`product_id`), `order_wide`.`product_id`),
  `quantity` = IF(VALUES(`created_key`) > `order_wide`.`created_key`, VALUES(`quantity`), `order_wide`.`quantity`),
  `amount` = IF(VALUES(`created_key`) > `order_wide`.`created_key`, VALUES(`amount`), `order_wide`.`amount`),
  `created_at` = IF(VALUES(`created_key`) > `order_wide`.`created_key`, VALUES(`created_at`), `order_wide`.`created_at`),
  `paid_amount` = IF(VALUES(`paid_key`) > `order_wide`.`paid_key`, VALUES(`paid_amount`), `order_wide`.`paid_amount`),
  `pay_method` = IF(VALUES(`paid_key`) > `order_wide`.`paid_key`, VALUES(`pay_method`), `order_wide`.`pay_method`),
  `paid_at` = IF(VALUES(`paid_key`) > `order_wide`.`paid_key`, VALUES(`paid_at`), `order_wide`.`paid_at`),
  `cancel_reason` = IF(VALUES(`cancel_reason_key`) > `order_wide`.`cancel_reason_key`, VALUES(`cancel_reason`), `order_wide`.`cancel_reason`),
  `cancelled_at` = IF(VALUES(`cancelled_key`) > `order_wide`.`cancelled_key`, VALUES(`cancelled_at`), `order_wide`.`cancelled_at`),
  `status` = IF(VALUES(`last_event_key`) > `order_wide`.`last_event_key`, VALUES(`status`), `order_wide`.`status`),
  `last_event_time` = IF(VALUES(`last_event_key`) > `order_wide`.`last_event_key`, VALUES(`last_event_time`), `order_wide`.`last_event_time`),
  `user_name_key` = IF(VALUES(`user_name_key`) > `order_wide`.`user_name_key`, VALUES(`user_name_key`), `order_wide`.`user_name_key`),
  `user_level_key` = IF(VALUES(`user_level_key`) > `order_wide`.`user_level_key`, VALUES(`user_level_key`), `order_wide`.`user_level_key`),
  `region_key` = IF(VALUES(`region_key`) > `order_wide`.`region_key`, VALUES(`region_key`), `order_wide`.`region_key`),
  `product_name_key` = IF(VALUES(`product_name_key`) > `order_wide`.`product_name_key`, VALUES(`product_name_key`), `order_wide`.`product_name_key`),
  `category_key` = IF(VALUES(`category_key`) > `order_wide`.`category_key`, VALUES(`category_key`), `order_wide`.`category_key`),
  `brand_key` = IF(VALUES(`brand_key`) > `order_wide`.`brand_key`, VALUES(`brand_key`), `order_wide`.`brand_key`),
  `created_key` = IF(VALUES(`created_key`) > `order_wide`.`created_key`, VALUES(`created_key`), `order_wide`.`created_key`),
  `paid_key` = IF(VALUES(`paid_key`) > `order_wide`.`paid_key`, VALUES(`paid_key`), `order_wide`.`paid_key`),
  `cancel_reason_key` = IF(VALUES(`cancel_reason_key`) > `order_wide`.`cancel_reason_key`, VALUES(`cancel_reason_key`), `order_wide`.`cancel_reason_key`),
  `cancelled_key` = IF(VALUES(`cancelled_key`) > `order_wide`.`cancelled_key`, VALUES(`cancelled_key`), `order_wide`.`cancelled_key`),
  `last_event_key` = IF(VALUES(`last_event_key`) > `order_wide`.`last_event_key`, VALUES(`last_event_key`), `order_wide`.`last_event_key`);

-- product_sales_minute, mariadb 10.11.6-MariaDB
INSERT INTO `product_sales_minute` (
  `product_id`,
  `window_start`,
  `order_count`,
  `quantity`,
  `gmv`,
  `max_amount`,
  `last_event_time`,
  `last_event_key`
) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON DUPLICATE KEY UPDATE
  `order_count` = `product_sales_minute`.`order_count` + VALUES(`order_count`),
  `quantity` = `product_sales_minute`.`quantity` + VALUES(`quantity`),
  `gmv` = `product_sales_minute`.`gmv` + VALUES(`gmv`),
  `max_amount` = IF(VALUES(`max_amount`) IS NOT NULL AND (`product_sales_minute`.`max_amount` IS NULL OR VALUES(`max_amount`) > `product_sales_minute`.`max_amount`), VALUES(`max_amount`), `product_sales_minute`.`max_amount`),
  `last_event_time` = IF(VALUES(`last_event_key`) > `product_sales_minute`.`last_event_key`, VALUES(`last_event_time`), `product_sales_minute`.`last_event_time`),
  `last_event_key` = IF(VALUES(`last_event_key`) > `product_sales_minute`.`last_event_key`, VALUES(`last_event_key`), `product_sales_minute`.`last_event_key`);

-- product_event_wide, mariadb 10.11.6-MariaDB
INSERT INTO `product_event_wide` (
  `event_id`,
  `event_type`,
  `event_time`,
  `event_version`,
  `source`,
  `product_id`,
  `user_id`,
  `referrer`,
  `keyword`,
  `result_count`,
  `scene`,
  `recommended_product_ids`,
  `product_name`,
  `category`,
  `brand`,
  `user_name`,
  `user_level`,
  `region`,
  `kafka_topic`,
  `kafka_partition`,
  `kafka_offset`
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON DUPLICATE KEY UPDATE
  `event_id` = `product_event_wide`.`event_id`;

-- dim_user, mariadb 10.11.6-MariaDB
INSERT INTO `dim_user` (
  `user_id`,
  `user_name`,
  `user_level`,
  `region`
) VALUES (?, ?, ?, ?)
ON DUPLICATE KEY UPDATE
  `user_id` = `dim_user`.`user_id`;

-- dim_product, mariadb 10.11.6-MariaDB
INSERT INTO `dim_product` (
  `product_id`,
  `product_name`,
  `category`,
  `brand`,
  `price`
) VALUES (?, ?, ?, ?, ?)
ON DUPLICATE KEY UPDATE
  `product_id` = `dim_product`.`product_id`;

-- event_dead_letter, mariadb 10.11.6-MariaDB
INSERT INTO `event_dead_letter` (
  `kafka_topic`,
  `kafka_partition`,
  `kafka_offset`,
  `record_timestamp`,
  `record_timestamp_ms`,
  `record_key`,
  `record_value`,
  `headers`,
  `reason`,
  `error_message`,
  `event_id`,
  `function_domain`
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON DUPLICATE KEY UPDATE
  `kafka_topic` = `event_dead_letter`.`kafka_topic`;

-- affected_rows_probe, mariadb 10.11.6-MariaDB
INSERT INTO `affected_rows_probe` (
  `id`
) VALUES (?)
ON DUPLICATE KEY UPDATE
  `id` = `affected_rows_probe`.`id`;
