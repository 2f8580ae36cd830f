CREATE TABLE dept(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE emp(id INTEGER PRIMARY KEY, name TEXT, dept INTEGER REFERENCES dept(id), salary REAL, hired TEXT);
INSERT INTO dept(name) VALUES ('eng'), ('ops'), ('sales'), ('hr');
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
INSERT INTO emp(name, dept, salary, hired)
SELECT printf('emp%04d', i), 1 + (i * 7) % 4, 30000 + (i * 7919) % 90000 + (i % 7) * 0.25,
       date('2000-01-01', '+' || ((i * 37) % 8000) || ' days') FROM n;
CREATE INDEX emp_dept ON emp(dept, salary);
SELECT count(*), sum(salary), printf('%.3f', avg(salary)), min(hired), max(hired) FROM emp;
SELECT d.name, count(*), printf('%.2f', avg(e.salary)), max(e.salary), group_concat(e.id % 10, '') FILTER (WHERE e.id < 60)
  FROM emp e JOIN dept d ON d.id = e.dept GROUP BY d.name ORDER BY d.name;
SELECT name, salary, rank() OVER (PARTITION BY dept ORDER BY salary DESC) AS r FROM emp WHERE id % 97 = 0 ORDER BY dept, r;
SELECT strftime('%Y', hired) AS y, count(*) FROM emp GROUP BY y HAVING count(*) > 90 ORDER BY y;
UPDATE emp SET salary = salary * 1.1 WHERE dept = 2;
DELETE FROM emp WHERE id % 5 = 0;
SELECT changes(), total_changes(), count(*) FROM emp;
SELECT upper(name), length(name), substr(name, 2, 3), replace(name, 'emp', 'E'), hex(id), typeof(salary), round(salary / 3, 2)
  FROM emp WHERE id IN (1, 2, 3, 1999) ORDER BY id;
SELECT e1.name, e2.name FROM emp e1 JOIN emp e2 ON e1.salary = e2.salary AND e1.id < e2.id ORDER BY e1.id LIMIT 5;
SELECT json_object('n', count(*), 'top', (SELECT json_group_array(name) FROM (SELECT name FROM emp ORDER BY salary DESC, id LIMIT 3))) FROM emp;
BEGIN; INSERT INTO dept(name) VALUES ('tmp'); ROLLBACK;
SELECT count(*) FROM dept;
SELECT 1 / 0, 7 % 3, 1e308 * 10, -9223372036854775808 - 1, cast('12abc' AS INTEGER), 0.1 + 0.2, abs(-5), nullif(3, 3) IS NULL;
PRAGMA integrity_check;
EXPLAIN QUERY PLAN SELECT * FROM emp WHERE dept = 2 AND salary > 50000;
