import pg from 'pg';

/**
 * A statement value written as a PostgreSQL literal, for Sql.inlined: strings through pg's own
 * escaping (quotes doubled, backslashes as an E'' string), numbers as digits, arrays as ARRAY[…] (the
 * statement's cast gives the element type). Anything else is refused rather than guessed at.
 */
export function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') return pg.escapeLiteral(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`no SQL literal for ${value}`);
    return String(value);
  }
  if (Array.isArray(value)) return value.length === 0 ? `'{}'` : `ARRAY[${value.map(sqlLiteral).join(', ')}]`;
  throw new TypeError(`no SQL literal for a value of type ${typeof value}`);
}
