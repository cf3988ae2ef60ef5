-- Write-ahead logging: the -wal file and the -shm index (a shared file
-- mapping, MAP_SHARED), checkpoints, and a reader connection (ATTACH of
-- the same file) seeing committed data.
.headers on
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT);
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
INSERT INTO kv SELECT i, printf('value-%06d', i * 7) FROM n;
COMMIT;
SELECT count(*), sum(length(v)), max(v) FROM kv;
UPDATE kv SET v = upper(v) WHERE k % 3 = 0;
DELETE FROM kv WHERE k % 5 = 0;
SELECT count(*), sum(k), min(v), max(v) FROM kv;
PRAGMA wal_checkpoint(TRUNCATE);
SELECT count(*) FROM kv WHERE v LIKE 'VALUE%';
ATTACH DATABASE 'file:' || (SELECT file FROM pragma_database_list WHERE name = 'main') AS other;
SELECT count(*) FROM other.kv;
DETACH DATABASE other;
CREATE INDEX kv_v ON kv(v);
SELECT k, v FROM kv WHERE v > 'value-139' ORDER BY v LIMIT 3;
PRAGMA integrity_check;
PRAGMA journal_mode = DELETE;
SELECT count(*) FROM kv;
