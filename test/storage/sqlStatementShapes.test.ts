import { empty, raw, sql } from '../../src/storage/state/sqlStatement.js';
import type { Sql } from '../../src/storage/state/sqlStatement.js';

/** One template, built with whatever goes at its two positions (the kept shapes are per template). */
const statement = (first: unknown, second: unknown): Sql => sql`SELECT x FROM t WHERE ${first} LIMIT ${second}`;

describe('statement texts kept per shape', () => {
  test('one template with different fragments, values or raw text at a position gives each its own text', () => {
    const seen = new Map<string, string>();
    const cases: Array<[string, Sql, string]> = [
      ['value, value', statement(1, 2), 'SELECT x FROM t WHERE $1 LIMIT $2'],
      ['fragment a', statement(sql`a = ${1}`, 2), 'SELECT x FROM t WHERE a = $1 LIMIT $2'],
      ['fragment b', statement(sql`b = ${1}`, 2), 'SELECT x FROM t WHERE b = $1 LIMIT $2'],
      ['fragment with two values', statement(sql`a = ${1} AND c = ${2}`, 3), 'SELECT x FROM t WHERE a = $1 AND c = $2 LIMIT $3'],
      ['empty', statement(empty, 2), 'SELECT x FROM t WHERE  LIMIT $1'],
      ['raw 10', statement(sql`a = ${1}`, raw('10')), 'SELECT x FROM t WHERE a = $1 LIMIT 10'],
      ['raw 11', statement(sql`a = ${1}`, raw('11')), 'SELECT x FROM t WHERE a = $1 LIMIT 11'],
      ['nested deeper', statement(sql`(${sql`d = ${1}`}) OR ${2}`, raw('10')), 'SELECT x FROM t WHERE (d = $1) OR $2 LIMIT 10'],
      [
        'nested deeper, other inner',
        statement(sql`(${sql`e = ${1}`}) OR ${2}`, raw('10')),
        'SELECT x FROM t WHERE (e = $1) OR $2 LIMIT 10',
      ],
      ['nested deeper, inner raw', statement(sql`(${raw('f')}) OR ${2}`, raw('10')), 'SELECT x FROM t WHERE (f) OR $1 LIMIT 10'],
    ];
    // Twice over, in both orders: a kept shape answers the second time, and the order it was kept in does not matter.
    for (const order of [cases, [...cases].reverse(), cases]) {
      for (const [name, built, text] of order) {
        expect([name, built.text]).toEqual([name, text]);
        seen.set(name, built.text);
      }
    }
    expect(new Set(seen.values()).size).toBe(cases.length);
  });

  test('the same shape is found again, whatever the values; the values are always the call’s own', () => {
    const filter = (value: string): Sql => sql`a = ${value}`;
    const first = statement(filter('x'), raw('5'));
    const second = statement(filter('y'), raw('5'));
    expect(second.shape).toBe(first.shape);
    expect(first.values).toEqual(['x']);
    expect(second.values).toEqual(['y']);
    expect(statement(filter('x'), raw('6')).shape).not.toBe(first.shape);
    expect(statement(filter('x'), 6).shape).not.toBe(first.shape);
  });

  test('two templates of identical strings, at two call sites, each keep their own (equal) text', () => {
    const elsewhere = (first: unknown, second: unknown): Sql => sql`SELECT x FROM t WHERE ${first} LIMIT ${second}`;
    expect(elsewhere(sql`a = ${1}`, 2).text).toBe(statement(sql`a = ${1}`, 2).text);
  });

  test('past the cap on kept shapes, statements are built afresh and still read right', () => {
    for (let i = 0; i < 10_001; i += 1) raw(`/* ${i} */`);
    const beyond = statement(sql`a = ${1}`, raw('/* new */'));
    expect(beyond.shape.kept).toBe(false);
    expect(beyond.text).toBe('SELECT x FROM t WHERE a = $1 LIMIT /* new */');
    const outer = sql`WITH q AS (${beyond}) SELECT ${'v'}`;
    expect(outer.shape.kept).toBe(false);
    expect(outer.text).toBe('WITH q AS (SELECT x FROM t WHERE a = $1 LIMIT /* new */) SELECT $2');
    expect(outer.values).toEqual([1, 'v']);
    // Shapes kept before the cap are still found.
    expect(statement(sql`b = ${1}`, 2).text).toBe('SELECT x FROM t WHERE b = $1 LIMIT $2');
  });
});
