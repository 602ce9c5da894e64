import { empty, raw, sql } from '../../src/storage/state/sqlStatement.js';

describe('statements as tagged templates', () => {
  test('every value is a numbered parameter, never text, whatever it holds', () => {
    const statement = sql`SELECT * FROM t WHERE a = ${"x' OR '1'='1"} AND b = ANY(${['p', 'q']}::text[]) AND c > ${3n}`;
    expect(statement.text).toBe('SELECT * FROM t WHERE a = $1 AND b = ANY($2::text[]) AND c > $3');
    expect(statement.values).toEqual(["x' OR '1'='1", ['p', 'q'], 3n]);
  });

  test('a fragment is spliced in with its parameters renumbered in order, at any depth', () => {
    const inner = sql`b = ${2}`;
    const middle = sql`a = ${1} AND ${inner} AND c = ${3}`;
    const statement = sql`SELECT ${0} WHERE ${middle} AND d = ${4}${empty} LIMIT ${raw('10')}`;
    expect(statement.text).toBe('SELECT $1 WHERE a = $2 AND b = $3 AND c = $4 AND d = $5 LIMIT 10');
    expect(statement.values).toEqual([0, 1, 2, 3, 4]);
  });

  test('one fragment used twice gives its parameters twice', () => {
    const filter = sql`x = ${'v'}`;
    const statement = sql`${filter} OR ${filter}`;
    expect(statement.text).toBe('x = $1 OR x = $2');
    expect(statement.values).toEqual(['v', 'v']);
  });
});
