-- The sqlite check and benchmark workload: an on-disk database (the
-- runner passes its path), 100k+ rows inserted in transactions through
-- recursive CTEs, indexes, joins, aggregates, GROUP BY/HAVING, window
-- functions, updates and deletes, a view, a trigger, JSON, integrity
-- check. Every value is computed from the row numbers, so the output is
-- the same everywhere.
.bail on
.headers on
.mode list
PRAGMA journal_mode = DELETE;
PRAGMA page_size;

CREATE TABLE customers (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  city TEXT NOT NULL,
  joined INTEGER NOT NULL
);
CREATE TABLE products (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  category TEXT NOT NULL,
  price_cents INTEGER NOT NULL CHECK (price_cents > 0)
);
CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customers(id),
  product_id INTEGER NOT NULL REFERENCES products(id),
  quantity INTEGER NOT NULL,
  day INTEGER NOT NULL,
  note TEXT
);
CREATE TABLE audit (what TEXT, n INTEGER);
CREATE TRIGGER orders_deleted AFTER DELETE ON orders
BEGIN
  INSERT INTO audit VALUES ('delete', OLD.id);
END;

BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
INSERT INTO customers (id, name, city, joined)
SELECT i,
       'customer-' || printf('%05d', i),
       CASE i % 7 WHEN 0 THEN 'Lisbon' WHEN 1 THEN 'Oslo' WHEN 2 THEN 'Quito'
                  WHEN 3 THEN 'Accra' WHEN 4 THEN 'Hanoi' WHEN 5 THEN 'Perth' ELSE 'Lima' END,
       (i * 7919) % 3650
FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
INSERT INTO products (id, name, category, price_cents)
SELECT i, 'product-' || i,
       CASE i % 5 WHEN 0 THEN 'books' WHEN 1 THEN 'garden' WHEN 2 THEN 'tools' WHEN 3 THEN 'toys' ELSE 'food' END,
       100 + (i * 37) % 9900
FROM n;
COMMIT;

-- 100k orders in ten transactions of 10k rows
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
INSERT INTO orders (customer_id, product_id, quantity, day, note)
SELECT 1 + (i * 31) % 5000, 1 + (i * 17) % 500, 1 + i % 9, i % 365,
       CASE WHEN i % 10 = 0 THEN 'gift ' || hex(i) ELSE NULL END
FROM n;
COMMIT;
BEGIN; INSERT INTO orders (customer_id, product_id, quantity, day, note) SELECT 1 + ((id + 10000) * 31) % 5000, 1 + ((id + 10000) * 17) % 500, 1 + (id + 10000) % 9, (id + 10000) % 365, CASE WHEN (id + 10000) % 10 = 0 THEN 'gift ' || hex(id + 10000) ELSE NULL END FROM orders WHERE id <= 10000; COMMIT;
BEGIN; INSERT INTO orders (customer_id, product_id, quantity, day, note) SELECT 1 + ((id + 20000) * 31) % 5000, 1 + ((id + 20000) * 17) % 500, 1 + (id + 20000) % 9, (id + 20000) % 365, CASE WHEN (id + 20000) % 10 = 0 THEN 'gift ' || hex(id + 20000) ELSE NULL END FROM orders WHERE id <= 10000; COMMIT;
BEGIN; INSERT INTO orders (customer_id, product_id, quantity, day, note) SELECT 1 + ((id + 30000) * 31) % 5000, 1 + ((id + 30000) * 17) % 500, 1 + (id + 30000) % 9, (id + 30000) % 365, CASE WHEN (id + 30000) % 10 = 0 THEN 'gift ' || hex(id + 30000) ELSE NULL END FROM orders WHERE id <= 10000; COMMIT;
BEGIN; INSERT INTO orders (customer_id, product_id, quantity, day, note) SELECT 1 + ((id + 40000) * 31) % 5000, 1 + ((id + 40000) * 17) % 500, 1 + (id + 40000) % 9, (id + 40000) % 365, CASE WHEN (id + 40000) % 10 = 0 THEN 'gift ' || hex(id + 40000) ELSE NULL END FROM orders WHERE id <= 10000; COMMIT;
BEGIN; INSERT INTO orders (customer_id, product_id, quantity, day, note) SELECT 1 + ((id + 50000) * 31) % 5000, 1 + ((id + 50000) * 17) % 500, 1 + (id + 50000) % 9, (id + 50000) % 365, CASE WHEN (id + 50000) % 10 = 0 THEN 'gift ' || hex(id + 50000) ELSE NULL END FROM orders WHERE id <= 10000; COMMIT;
BEGIN; INSERT INTO orders (customer_id, product_id, quantity, day, note) SELECT 1 + ((id + 60000) * 31) % 5000, 1 + ((id + 60000) * 17) % 500, 1 + (id + 60000) % 9, (id + 60000) % 365, CASE WHEN (id + 60000) % 10 = 0 THEN 'gift ' || hex(id + 60000) ELSE NULL END FROM orders WHERE id <= 10000; COMMIT;
BEGIN; INSERT INTO orders (customer_id, product_id, quantity, day, note) SELECT 1 + ((id + 70000) * 31) % 5000, 1 + ((id + 70000) * 17) % 500, 1 + (id + 70000) % 9, (id + 70000) % 365, CASE WHEN (id + 70000) % 10 = 0 THEN 'gift ' || hex(id + 70000) ELSE NULL END FROM orders WHERE id <= 10000; COMMIT;
BEGIN; INSERT INTO orders (customer_id, product_id, quantity, day, note) SELECT 1 + ((id + 80000) * 31) % 5000, 1 + ((id + 80000) * 17) % 500, 1 + (id + 80000) % 9, (id + 80000) % 365, CASE WHEN (id + 80000) % 10 = 0 THEN 'gift ' || hex(id + 80000) ELSE NULL END FROM orders WHERE id <= 10000; COMMIT;
BEGIN; INSERT INTO orders (customer_id, product_id, quantity, day, note) SELECT 1 + ((id + 90000) * 31) % 5000, 1 + ((id + 90000) * 17) % 500, 1 + (id + 90000) % 9, (id + 90000) % 365, CASE WHEN (id + 90000) % 10 = 0 THEN 'gift ' || hex(id + 90000) ELSE NULL END FROM orders WHERE id <= 10000; COMMIT;

-- autocommit statements: one journal, lock and fsync cycle each
UPDATE products SET price_cents = price_cents + 1 WHERE id = 11;
UPDATE products SET price_cents = price_cents + 2 WHERE id = 22;
UPDATE products SET price_cents = price_cents + 3 WHERE id = 33;
UPDATE products SET price_cents = price_cents + 4 WHERE id = 44;
UPDATE products SET price_cents = price_cents + 5 WHERE id = 55;
UPDATE products SET price_cents = price_cents + 6 WHERE id = 66;
UPDATE products SET price_cents = price_cents + 7 WHERE id = 77;
UPDATE products SET price_cents = price_cents + 8 WHERE id = 88;
UPDATE products SET price_cents = price_cents + 9 WHERE id = 99;
UPDATE products SET price_cents = price_cents + 10 WHERE id = 110;
UPDATE products SET price_cents = price_cents + 11 WHERE id = 121;
UPDATE products SET price_cents = price_cents + 12 WHERE id = 132;
UPDATE products SET price_cents = price_cents + 13 WHERE id = 143;
UPDATE products SET price_cents = price_cents + 14 WHERE id = 154;
UPDATE products SET price_cents = price_cents + 15 WHERE id = 165;
UPDATE products SET price_cents = price_cents + 16 WHERE id = 176;
UPDATE products SET price_cents = price_cents + 17 WHERE id = 187;
UPDATE products SET price_cents = price_cents + 18 WHERE id = 198;
UPDATE products SET price_cents = price_cents + 19 WHERE id = 209;
UPDATE products SET price_cents = price_cents + 20 WHERE id = 220;
UPDATE products SET price_cents = price_cents + 21 WHERE id = 231;
UPDATE products SET price_cents = price_cents + 22 WHERE id = 242;
UPDATE products SET price_cents = price_cents + 23 WHERE id = 253;
UPDATE products SET price_cents = price_cents + 24 WHERE id = 264;
UPDATE products SET price_cents = price_cents + 25 WHERE id = 275;
UPDATE products SET price_cents = price_cents + 26 WHERE id = 286;
UPDATE products SET price_cents = price_cents + 27 WHERE id = 297;
UPDATE products SET price_cents = price_cents + 28 WHERE id = 308;
UPDATE products SET price_cents = price_cents + 29 WHERE id = 319;
UPDATE products SET price_cents = price_cents + 30 WHERE id = 330;
UPDATE products SET price_cents = price_cents + 31 WHERE id = 341;
UPDATE products SET price_cents = price_cents + 32 WHERE id = 352;
UPDATE products SET price_cents = price_cents + 33 WHERE id = 363;
UPDATE products SET price_cents = price_cents + 34 WHERE id = 374;
UPDATE products SET price_cents = price_cents + 35 WHERE id = 385;
UPDATE products SET price_cents = price_cents + 36 WHERE id = 396;
UPDATE products SET price_cents = price_cents + 37 WHERE id = 407;
UPDATE products SET price_cents = price_cents + 38 WHERE id = 418;
UPDATE products SET price_cents = price_cents + 39 WHERE id = 429;
UPDATE products SET price_cents = price_cents + 40 WHERE id = 440;

SELECT count(*) AS orders, sum(quantity) AS items, min(day), max(day),
       count(note) AS notes, count(DISTINCT customer_id) AS buyers
FROM orders;

CREATE INDEX orders_customer ON orders(customer_id);
CREATE INDEX orders_product_day ON orders(product_id, day);
CREATE INDEX customers_city ON customers(city);

-- joins and aggregates
SELECT c.city, count(*) AS orders, sum(o.quantity * p.price_cents) AS revenue_cents,
       round(avg(o.quantity), 4) AS avg_qty
FROM orders o JOIN customers c ON c.id = o.customer_id
              JOIN products p ON p.id = o.product_id
GROUP BY c.city ORDER BY revenue_cents DESC;

SELECT p.category, count(DISTINCT o.customer_id) AS buyers, max(p.price_cents) AS top_price,
       total(o.quantity) AS qty
FROM products p LEFT JOIN orders o ON o.product_id = p.id
GROUP BY p.category HAVING qty > 0 ORDER BY p.category;

SELECT c.name, count(o.id) AS n, sum(o.quantity) AS q
FROM customers c JOIN orders o ON o.customer_id = c.id
WHERE c.city = 'Oslo'
GROUP BY c.id ORDER BY q DESC, c.name LIMIT 5;

-- customers without orders, products never sold on day 0
SELECT count(*) AS idle_customers FROM customers c
WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id);
SELECT count(*) AS unsold_day0 FROM products p
WHERE p.id NOT IN (SELECT product_id FROM orders WHERE day = 0);

-- window functions
SELECT day, daily, sum(daily) OVER (ORDER BY day ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS week,
       rank() OVER (ORDER BY daily DESC) AS rnk
FROM (SELECT day, sum(quantity) AS daily FROM orders GROUP BY day)
ORDER BY day LIMIT 10;
SELECT city, name, spent FROM (
  SELECT c.city, c.name, sum(o.quantity * p.price_cents) AS spent,
         row_number() OVER (PARTITION BY c.city ORDER BY sum(o.quantity * p.price_cents) DESC, c.name) AS r
  FROM customers c JOIN orders o ON o.customer_id = c.id JOIN products p ON p.id = o.product_id
  GROUP BY c.id)
WHERE r = 1 ORDER BY city;

-- a view, updates and deletes (the trigger records deletes)
CREATE VIEW big_orders AS
  SELECT o.id, o.quantity * p.price_cents AS cents FROM orders o JOIN products p ON p.id = o.product_id
  WHERE o.quantity * p.price_cents > 80000;
SELECT count(*), sum(cents) FROM big_orders;
BEGIN;
UPDATE orders SET quantity = quantity + 1 WHERE day BETWEEN 100 AND 120;
DELETE FROM orders WHERE id % 97 = 0;
COMMIT;
SELECT changes() AS last_changes, total_changes() > 0 AS any;
SELECT what, count(*), sum(n) FROM audit GROUP BY what;
SELECT count(*), sum(cents) FROM big_orders;

-- a rolled back transaction leaves no trace
BEGIN;
DELETE FROM orders;
SELECT count(*) AS inside FROM orders;
ROLLBACK;
SELECT count(*) AS after_rollback FROM orders;

-- strings, dates, JSON, math, printf
SELECT upper(name), length(name), substr(name, 10), replace(name, '-', '_'), instr(name, '0')
FROM customers WHERE id IN (1, 4999) ORDER BY id;
SELECT date(19000 * 86400, 'unixepoch'), datetime(1700000000, 'unixepoch'), strftime('%j %W', '2026-11-22'),
       julianday('2000-01-01') - julianday('1999-01-01');
SELECT json_object('id', id, 'name', name, 'tags', json_array(category, price_cents)) FROM products WHERE id <= 3;
SELECT json_extract('{"a":{"b":[1,2,{"c":"deep"}]}}', '$.a.b[2].c'), json_group_array(id) FROM products WHERE id < 6;
SELECT printf('%8.3f|%-6s|%05d|%x|%e', 3.14159, 'ab', 42, 255, 12345.678), abs(-5), round(2.5), round(-2.5),
       sqrt(2), pow(2, 10), 7 / 2, 7 / 2.0, 7 % 3, cast('12abc' AS INTEGER), typeof(1.0), typeof('x'), typeof(NULL);
SELECT group_concat(city, ',') FROM (SELECT DISTINCT city FROM customers ORDER BY city);
SELECT quote(x'00ff'), hex(zeroblob(4)), length(randomblob(16)), unicode('é'), char(9731);

-- query plans use the indexes
EXPLAIN QUERY PLAN SELECT * FROM orders WHERE customer_id = 42;
EXPLAIN QUERY PLAN SELECT * FROM orders WHERE product_id = 7 AND day > 100;

-- conflicts resolved by ON CONFLICT clauses
INSERT OR IGNORE INTO products (id, name, category, price_cents) VALUES (1, 'dup', 'x', 5);
SELECT changes() AS ignored;
INSERT OR REPLACE INTO products (id, name, category, price_cents) VALUES (2, 'replaced', 'x', 5);
SELECT id, name, price_cents FROM products WHERE id = 2;
INSERT INTO audit VALUES ('upsert', 1) ON CONFLICT DO NOTHING;

-- vacuum, integrity check, file-level facts
VACUUM;
PRAGMA integrity_check;
SELECT page_count > 100 AS big_enough FROM pragma_page_count;
SELECT count(*) FROM sqlite_schema;
SELECT type, name FROM sqlite_schema ORDER BY type, name;
