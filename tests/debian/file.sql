.bail on
.mode csv
.import --csv data.csv people
.mode list
.headers on
SELECT count(*) AS n, sum(salary) AS total, printf('%.4f', avg(age)) AS mean_age FROM people;
CREATE TABLE agg AS SELECT dept, count(*) AS n, sum(CAST(salary AS INTEGER)) AS s FROM people GROUP BY dept;
.mode box
SELECT * FROM agg ORDER BY s DESC;
.mode json
SELECT name, dept, salary FROM people WHERE CAST(age AS INTEGER) > 60 ORDER BY name LIMIT 4;
.mode line
SELECT p.dept, a.n, max(CAST(p.salary AS INTEGER)) AS top FROM people p JOIN agg a USING (dept) GROUP BY p.dept ORDER BY p.dept LIMIT 2;
.mode column
CREATE TABLE blobs(k INTEGER PRIMARY KEY, v BLOB);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) INSERT INTO blobs SELECT i, zeroblob(i * 10) || randomblob(0) FROM n;
SELECT count(*), sum(length(v)), hex(substr(v, 1, 4)) FROM blobs;
VACUUM;
PRAGMA page_count;
.tables
.schema agg
