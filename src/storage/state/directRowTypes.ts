import pg from 'pg';
import type { CustomTypesConfig } from 'pg';
import { Prisma } from './generated/client.js';

/**
 * How the pool's connections read column values, so that a row of a `sql/` statement is the same
 * whether pg read it (outside transactions) or Prisma's `$queryRaw` did (inside them, and on PGlite):
 * int8 as bigint, numeric as Decimal, `timestamp` as a Date in UTC (Prisma stores DateTime as UTC
 * wall-clock time in `timestamp(3)`; pg's own parser would read it in the process's time zone), `date`
 * as UTC midnight, json parsed, and arrays of these alike. Everything else as pg reads it (int4 and
 * float as number, bool, uuid and text as string, timestamptz as Date).
 *
 * Only the pool's own queries use these: Prisma's adapter passes parsers of its own with each query.
 */
type TextParser = (text: string) => unknown;

const pgParser = pg.types.getTypeParser as (oid: number) => TextParser;
const textArray = pgParser(1009) as (text: string) => NestedArray<string | null>;
type NestedArray<T> = Array<T | NestedArray<T>>;

const utcTimestamp: TextParser = (text) => new Date(`${text.replace(' ', 'T')}Z`);
const utcDate: TextParser = (text) => new Date(`${text}T00:00:00Z`);
const bigint: TextParser = (text) => BigInt(text);
const decimal: TextParser = (text) => new Prisma.Decimal(text);

/** An array column whose items are read by `item` (NULL items stay null, nested arrays stay nested). */
function arrayOf(item: TextParser): TextParser {
  const each = (values: NestedArray<string | null>): unknown[] =>
    values.map((value) => (value === null ? null : Array.isArray(value) ? each(value) : item(value)));
  return (text) => each(textArray(text));
}

/** By type oid (pg_type), for the text format pg uses. */
const parsers = new Map<number, TextParser>([
  [20, bigint], // int8
  [1016, arrayOf(bigint)], // int8[]
  [1700, decimal], // numeric
  [1231, arrayOf(decimal)], // numeric[]
  [1114, utcTimestamp], // timestamp
  [1115, arrayOf(utcTimestamp)], // timestamp[]
  [1082, utcDate], // date
  [1182, arrayOf(utcDate)], // date[]
]);

export const directRowTypes: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    (format === undefined || format === 'text' ? parsers.get(oid) : undefined) ??
    pg.types.getTypeParser(oid, format)) as CustomTypesConfig['getTypeParser'],
};
