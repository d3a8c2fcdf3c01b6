-- Local and demo dimension data (not a migration: production dimensions belong to the business
-- systems). Idempotent. Users u001-u040 and products p001-p030; the demo stream also refers to
-- ids beyond these, to show left-join enrichment with NULL dimension columns.
INSERT INTO dim_user (user_id, user_name, user_level, region)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40)
SELECT CONCAT('u', LPAD(i, 3, '0')), CONCAT('User ', i), ELT(1 + i % 4, 'bronze', 'silver', 'gold', 'platinum'),
       ELT(1 + i % 5, 'north', 'south', 'east', 'west', 'central')
FROM n
ON DUPLICATE KEY UPDATE user_name = VALUES(user_name), user_level = VALUES(user_level), region = VALUES(region);

INSERT INTO dim_product (product_id, product_name, category, brand, price)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30)
SELECT CONCAT('p', LPAD(i, 3, '0')), CONCAT('Product ', i), ELT(1 + i % 5, 'books', 'games', 'garden', 'kitchen', 'sports'),
       ELT(1 + i % 3, 'Acme', 'Globex', 'Initech'), 5 + i * 2.5
FROM n
ON DUPLICATE KEY UPDATE product_name = VALUES(product_name), category = VALUES(category), brand = VALUES(brand),
                        price = VALUES(price);
