import { sqlRows } from '../../../src/storage/state/directSql.js';
import { Prisma } from '../../../src/storage/state/generated/client.js';
import type { StateDb, StateTx } from '../../../src/storage/state/openStateStore.js';

/**
 * One row holding a value of every kind the sql/ statements read or send, and the row as Prisma's
 * `$queryRaw` gives it. Shared by directRows.test.ts and the probe it runs in another time zone.
 */
const at = new Date('2024-03-01T12:34:56.789Z');
const id = '0b8e1c8a-6a4d-4f57-9a52-2f0c5f0e9d11';

export async function decodingRow(db: StateDb | StateTx): Promise<unknown> {
  const [row] = await sqlRows<unknown[]>(db)`
    SELECT 9007199254740993::int8 AS int8, count(*) AS "countOfOne", 42::int4 AS int4, 1.5::float8 AS float8,
           12.345::numeric AS numeric, true AS bool, 'plain'::text AS text, ${id}::uuid AS uuid, 'WAITING'::"TaskStatus" AS enum,
           '2024-03-01 12:34:56.789'::timestamp(3) AS timestamp, '2024-03-01 12:34:56.789+02'::timestamptz AS timestamptz,
           '2024-03-01'::date AS date, '{"a": [1, 2], "b": null}'::jsonb AS jsonb, '[1, "x"]'::json AS json, NULL::int8 AS "nullInt8",
           ARRAY[1, 9007199254740993, NULL]::int8[] AS int8s, ARRAY[1, 2]::int4[] AS int4s, ARRAY['a', NULL, 'c"d,e']::text[] AS texts,
           ARRAY[${id}::uuid] AS uuids, ARRAY['2024-03-01 12:34:56.789'::timestamp(3), NULL] AS timestamps,
           ARRAY['{"k": 1}'::jsonb, NULL] AS jsonbs, ARRAY[true, false] AS bools,
           ${at}::timestamp(3) AS "timestampParam", ${at}::timestamptz AS "timestamptzParam", ${2n ** 63n - 1n}::int8 AS "int8Param",
           ${['a', 'b"c', 'd\\e', null, 'f,g']}::text[] AS "textsParam", ${null}::text AS "nullParam", ${0.25}::float8 AS "float8Param",
           ${false}::bool AS "boolParam", ${JSON.stringify({ k: [1] })}::jsonb AS "jsonbParam"
      FROM (VALUES (1)) AS one(x)`;
  return row;
}

export const expectedRow = {
  int8: 9007199254740993n,
  countOfOne: 1n,
  int4: 42,
  float8: 1.5,
  numeric: new Prisma.Decimal('12.345'),
  bool: true,
  text: 'plain',
  uuid: id,
  enum: 'WAITING',
  timestamp: at,
  timestamptz: new Date('2024-03-01T10:34:56.789Z'),
  date: new Date('2024-03-01T00:00:00.000Z'),
  jsonb: { a: [1, 2], b: null },
  json: [1, 'x'],
  nullInt8: null,
  int8s: [1n, 9007199254740993n, null],
  int4s: [1, 2],
  texts: ['a', null, 'c"d,e'],
  uuids: [id],
  timestamps: [at, null],
  jsonbs: [{ k: 1 }, null],
  bools: [true, false],
  timestampParam: at,
  timestamptzParam: at,
  int8Param: 2n ** 63n - 1n,
  textsParam: ['a', 'b"c', 'd\\e', null, 'f,g'],
  nullParam: null,
  float8Param: 0.25,
  boolParam: false,
  jsonbParam: { k: [1] },
};

/** A value as JSON can carry it between processes, its JavaScript type spelled out. */
export function tagged(value: unknown): unknown {
  if (typeof value === 'bigint') return { bigint: value.toString() };
  if (value instanceof Date) return { date: value.toISOString() };
  if (Prisma.Decimal.isDecimal(value)) return { decimal: value.toString() };
  if (Array.isArray(value)) return value.map(tagged);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, tagged(v)]));
  return value;
}
