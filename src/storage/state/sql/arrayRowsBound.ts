import { raw, sql } from '../sqlStatement.js';
import type { Sql } from '../sqlStatement.js';

/**
 * A `LIMIT` for a subquery over `unnest` of parameter arrays of `count` elements: the next power of two
 * at or above it, as literal text, so it never cuts a row.
 *
 * PostgreSQL plans a prepared statement once for all its calls only when that plan looks as cheap as
 * one made for the values at hand. Not knowing an array parameter's length, it takes an unnest for 100
 * rows, where a hot statement has one or two, so every call was planned anew (planning cost more than
 * running). With the bound in the text, each of a few texts per statement is planned for about the
 * rows it gets, and its one plan is kept.
 */
export function arrayRowsBound(count: number): Sql {
  if (!(Number.isInteger(count) && count >= 0)) throw new RangeError(`an array has a whole number of elements, not ${count}`);
  let bound = 1;
  while (bound < count) bound *= 2;
  return raw(String(bound));
}

/**
 * `(SELECT unnest($n::uuid[]) LIMIT bound)`, for `x IN …` where `x = ANY($n)` would do: a plan made
 * once for all calls does not know how many ids `= ANY` gets and takes ten, so PostgreSQL planned every
 * call anew for its one or two (and for the repeats an estimate combines, its plan for all calls read
 * every ProtocolDagResult). With the bound, the plan is made for about the ids it gets, and kept.
 */
export function uuidsIn(ids: readonly string[]): Sql {
  return sql`(SELECT unnest(${[...ids]}::uuid[]) LIMIT ${arrayRowsBound(ids.length)})`;
}
