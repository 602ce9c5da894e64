import { ColumnTypeEnum } from '@prisma/driver-adapter-utils';
import type { ArgType, ColumnType, SqlQueryable, SqlResultSet } from '@prisma/driver-adapter-utils';
import { Prisma } from './generated/client.js';
import type { StateDb, StateTx } from './openStateStore.js';

/**
 * The hand-written statements of `sql/` run through Prisma's driver adapter directly when they are
 * not part of a transaction. Through `$queryRaw` each call costs several times its own CPU in
 * Prisma's client (parameters and rows serialized to JSON and back, the query interpreter): measured
 * here, 0.3–0.45 ms a call against 0.08 ms on the adapter, on a claim path of three statements.
 *
 * The rows come back as `$queryRaw` would give them (bigint for int8, Date for timestamps, parsed
 * JSON, Decimal for numeric), so a statement reads the same either way. Inside a transaction, and on
 * a store that registered no adapter (PGlite, whose one connection Prisma's transactions hold), the
 * statement goes through the client it was given.
 */
const adapters = new WeakMap<object, SqlQueryable>();

export function registerDirectSql(db: StateDb, adapter: SqlQueryable): void {
  adapters.set(db, adapter);
}

export async function queryRows<T>(db: StateDb | StateTx, statement: Prisma.Sql): Promise<T[]> {
  const adapter = adapters.get(db);
  if (adapter === undefined) return db.$queryRaw<T[]>(statement);
  const values = statement.values.map(toArg);
  const result = await adapter.queryRaw({ sql: statement.text, args: values.map((v) => v.arg), argTypes: values.map((v) => v.type) });
  return toRows<T>(result);
}

const scalar = (scalarType: ArgType['scalarType']): ArgType => ({ scalarType, arity: 'scalar' });

/** A parameter as Prisma hands it to the adapter: timestamps and int8 tagged, objects as JSON text. */
function toArg(value: unknown): { arg: unknown; type: ArgType } {
  if (value === null || value === undefined) return { arg: null, type: scalar('unknown') };
  if (Array.isArray(value)) {
    const items = value.map(toArg);
    return { arg: items.map((i) => i.arg), type: { scalarType: items[0]?.type.scalarType ?? 'unknown', arity: 'list' } };
  }
  if (value instanceof Date) return { arg: value, type: scalar('datetime') };
  if (value instanceof Uint8Array) return { arg: value, type: scalar('bytes') };
  if (Prisma.Decimal.isDecimal(value)) return { arg: value.toString(), type: scalar('decimal') };
  switch (typeof value) {
    case 'string': return { arg: value, type: scalar('string') };
    case 'number': return { arg: value, type: scalar('decimal') };
    case 'bigint': return { arg: value.toString(), type: scalar('bigint') };
    case 'boolean': return { arg: value, type: scalar('unknown') };
    case 'object': return { arg: JSON.stringify(value), type: scalar('unknown') };
    default: throw new TypeError(`a ${typeof value} cannot be a statement parameter`);
  }
}

function toRows<T>(result: SqlResultSet): T[] {
  const decoders = result.columnTypes.map((type, i) => decoderFor(type, result.columnNames[i]!));
  return result.rows.map((row) => {
    const record: Record<string, unknown> = {};
    for (let i = 0; i < row.length; i += 1) {
      const value = row[i];
      record[result.columnNames[i]!] = value === null ? null : decoders[i]!(value);
    }
    return record as T;
  });
}

type Decoder = (value: unknown) => unknown;

const asIs: Decoder = (value) => value;
const toBigInt: Decoder = (value) => BigInt(typeof value === 'number' ? Math.trunc(value) : (value as string));
const toInt: Decoder = (value) => Math.trunc(Number(value));
const toDate: Decoder = (value) => new Date(value as string);
const toJson: Decoder = (value) => JSON.parse(value as string);
const toBoolean: Decoder = (value) => (typeof value === 'boolean' ? value : value === 'true' || value === '1' || value === 1);
const toDecimal: Decoder = (value) => new Prisma.Decimal(value as string);
const eachOf = (decode: Decoder): Decoder => (value) => (value as unknown[]).map((item) => (item === null ? null : decode(item)));

function decoderFor(type: ColumnType, column: string): Decoder {
  switch (type) {
    case ColumnTypeEnum.Int32: return toInt;
    case ColumnTypeEnum.Int64: return toBigInt;
    case ColumnTypeEnum.Numeric: return toDecimal;
    case ColumnTypeEnum.Boolean: return toBoolean;
    case ColumnTypeEnum.Date:
    case ColumnTypeEnum.DateTime: return toDate;
    case ColumnTypeEnum.Json: return toJson;
    case ColumnTypeEnum.Float:
    case ColumnTypeEnum.Double:
    case ColumnTypeEnum.UnknownNumber:
    case ColumnTypeEnum.Character:
    case ColumnTypeEnum.Text:
    case ColumnTypeEnum.Enum:
    case ColumnTypeEnum.Uuid:
    case ColumnTypeEnum.Set: return asIs;
    case ColumnTypeEnum.Int32Array: return eachOf(toInt);
    case ColumnTypeEnum.Int64Array: return eachOf(toBigInt);
    case ColumnTypeEnum.BooleanArray: return eachOf(toBoolean);
    case ColumnTypeEnum.DateArray:
    case ColumnTypeEnum.DateTimeArray: return eachOf(toDate);
    case ColumnTypeEnum.JsonArray: return eachOf(toJson);
    case ColumnTypeEnum.FloatArray:
    case ColumnTypeEnum.DoubleArray:
    case ColumnTypeEnum.CharacterArray:
    case ColumnTypeEnum.TextArray:
    case ColumnTypeEnum.EnumArray:
    case ColumnTypeEnum.UuidArray: return asIs;
    default:
      // Bytes and times would need Prisma's own encodings; no statement here returns them.
      throw new TypeError(`column "${column}" has a type (${type}) the direct path does not read; select it as text or extend directSql`);
  }
}

/** `sqlRows<Row[]>(db)\`SELECT …\`` reads like `db.$queryRaw<Row[]>\`SELECT …\`` and takes the direct path when it can. */
export function sqlRows<T = unknown[]>(db: StateDb | StateTx) {
  return (strings: TemplateStringsArray, ...values: unknown[]): Promise<T> => queryRows(db, Prisma.sql(strings, ...values)) as Promise<T>;
}
