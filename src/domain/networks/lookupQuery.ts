import { badInput } from '../errors.js';
import { requireScope } from '../principal.js';
import type { Principal } from '../principal.js';
import { parseScope } from '../scope.js';
import type { Scope, ScopePattern } from '../scope.js';
import { parseScopedKey } from '../scopedKey.js';
import { checkLength, echo, textLimits } from '../textLimits.js';

/**
 * A lookup of networks, transformations or chemical systems: among the scopes the caller may read,
 * optionally one scope, names starting with a prefix, one content key; oldest first (by id, which is
 * time-ordered), a page of `limit` after the object `afterId`.
 */
export interface LookupQuery {
  visibleIn: readonly ScopePattern[];
  scope?: Scope;
  /** Case-sensitive: the names that start with it (the whole name is a prefix of itself). */
  namePrefix?: string;
  /** The key without its scope (`Transformation-<32 hex>`): the object of that content in every scope read. */
  key?: string;
  afterId?: string;
  limit: number;
}

export interface LookupArguments {
  scope?: string | null | undefined;
  name?: string | null | undefined;
  key?: string | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}

export const lookupLimits = { defaultPage: 1000, maxPage: 1000 } as const;

const keyPattern = /^[A-Za-z]+-[0-9a-f]{32}$/;

/**
 * Checks a lookup's arguments; `kind` is the key kind looked up (`Transformation`...). A scope or an
 * `after` object the caller may not read is FORBIDDEN; `resolveAfter` gives the id of the `after`
 * object (null when there is none: BAD_USER_INPUT).
 */
export async function lookupQuery(
  actor: Principal,
  kind: string,
  args: LookupArguments,
  resolveAfter: (scope: Scope, key: string) => Promise<string | null>,
): Promise<LookupQuery> {
  const first = args.first ?? lookupLimits.defaultPage;
  if (!(Number.isInteger(first) && first >= 1 && first <= lookupLimits.maxPage)) {
    throw badInput(`first is a whole number from 1 to ${lookupLimits.maxPage}`, { field: 'first', max: lookupLimits.maxPage });
  }
  const query: LookupQuery = { visibleIn: actor.scopes, limit: first };
  if (args.scope !== null && args.scope !== undefined) {
    query.scope = parseScope(args.scope);
    requireScope(actor, query.scope);
  }
  if (args.name !== null && args.name !== undefined) query.namePrefix = checkLength('name', args.name, textLimits.name);
  if (args.key !== null && args.key !== undefined) {
    if (!keyPattern.test(args.key) || !args.key.startsWith(`${kind}-`)) {
      throw badInput(`"${echo(args.key)}" is not a ${kind} key: expected ${kind}-<32 hex digits> (no scope)`, { field: 'key' });
    }
    query.key = args.key;
  }
  if (args.after !== null && args.after !== undefined) {
    const after = parseScopedKey(args.after, kind);
    requireScope(actor, after.scope);
    const afterId = await resolveAfter(after.scope, after.key);
    if (afterId === null) throw badInput(`after names no ${kind} (${echo(args.after)})`, { field: 'after' });
    query.afterId = afterId;
  }
  return query;
}
