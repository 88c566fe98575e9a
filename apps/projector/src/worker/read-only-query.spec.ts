import { assertReadOnly, ReadOnlyViolation } from './read-only-query';

describe('assertReadOnly', () => {
  it.each([
    'SELECT 1',
    '  with x as (select 1) select * from x',
    '-- note\nSHOW TABLES',
    '/* c */ DESCRIBE t;',
    'EXPLAIN SELECT 1',
  ])('accepts %j', (sql) => {
    expect(() => assertReadOnly(sql)).not.toThrow();
  });

  it.each([
    'INSERT INTO t VALUES (1)',
    'DROP TABLE containeragent.container_stats',
    'ALTER TABLE t DELETE WHERE 1',
    'CREATE TABLE x (a UInt8) ENGINE = Memory',
    'TRUNCATE TABLE t',
    'SELECT 1; DROP TABLE t',
    '/* SELECT */ DELETE FROM t WHERE 1',
    'SYSTEM STOP MERGES',
    'SELECT 1 FORMAT Native',
    'SET readonly = 0',
    "SELECT * FROM url('http://169.254.169.254/', CSV, 'a String')",
    "SELECT * FROM file('/etc/passwd', LineAsString)",
    "SELECT * FROM remote('10.0.0.1', system.one)",
    "SELECT * FROM executable('sh', TSV, 'a String')",
  ])('refuses %j', (sql) => {
    expect(() => assertReadOnly(sql)).toThrow(ReadOnlyViolation);
  });
});
