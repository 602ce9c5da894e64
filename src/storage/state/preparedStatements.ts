import { createHash } from 'node:crypto';
import type { SqlQuery } from '@prisma/driver-adapter-utils';

/**
 * Names for PostgreSQL prepared statements, so that each connection parses and plans a statement
 * once instead of on every call: for the claim statement planning costs more than running it.
 *
 * A name is a digest of the SQL text, so one name never stands for two texts. Only the first
 * `limit` distinct texts a process sees get a name; the rest run unnamed. Each named statement
 * lives on every pooled connection until the connection closes, and texts that vary with their
 * input (a list spelled out as $1, $2, …) would otherwise grow that set without end.
 */
export function statementNamer(limit = 1_000): (query: SqlQuery) => string | undefined {
  const named = new Map<string, string>();
  return (query) => {
    const known = named.get(query.sql);
    if (known !== undefined || named.size >= limit) return known;
    const name = 'dk_' + createHash('sha256').update(query.sql).digest('base64url').slice(0, 24);
    named.set(query.sql, name);
    return name;
  };
}
