-- Errors in the sqlite3 shell: constraint violations, syntax errors, a
-- missing table, a failing transaction rolled back; the shell reports
-- each on stderr, keeps going (no .bail) and exits 1 at the end.
-- expect-exit: 1
.headers off
CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE, n INTEGER CHECK (n >= 0));
INSERT INTO t VALUES (1, 'a', 1), (2, 'b', 2);
INSERT INTO t VALUES (1, 'c', 3);
INSERT INTO t VALUES (3, 'a', 3);
INSERT INTO t VALUES (4, NULL, 3);
INSERT INTO t VALUES (5, 'e', -1);
SELEC 1;
SELECT * FROM missing_table;
SELECT count(*) FROM t;
BEGIN;
INSERT INTO t VALUES (6, 'f', 6);
INSERT INTO t VALUES (6, 'g', 7);
SELECT count(*) FROM t;
ROLLBACK;
SELECT count(*), group_concat(v) FROM t;
SELECT 1 / 0, 5 % 0, abs(-9223372036854775807 - 1);
SELECT 'still running';
