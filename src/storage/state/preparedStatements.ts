import { createHash } from 'node:crypto';

/**
 * Names for PostgreSQL prepared statements, so that each connection parses and plans a statement
 * once instead of on every call: for the claim statement planning costs more than running it.
 *
 * A name is a digest of the SQL text, so one name never stands for two texts. Only the first
 * `limit` distinct texts a process sees get a name; the rest run unnamed. Each named statement
 * lives on every pooled connection until the connection closes, and texts that vary with their
 * input (a list spelled out as $1, $2, …) would otherwise grow that set without end.
 *
 * One namer serves a store's pool: Prisma's adapter and the direct statements (directSql.ts) run on
 * the same connections, and pg refuses a name it has seen on a connection for another text.
 */
export function statementNamer(limit = 1_000): (text: string) => string | undefined {
  const named = new Map<string, string>();
  return (text) => {
    const known = named.get(text);
    if (known !== undefined || named.size >= limit) return known;
    const name = 'dk_' + createHash('sha256').update(text).digest('base64url').slice(0, 24);
    named.set(text, name);
    return name;
  };
}
