/**
 * Rows of a batched lookup grouped under the keys asked for (each key present, in the rows' order,
 * with an empty list when nothing matched): what a DataLoader batch function answers with.
 */
export function groupByKey<Row, Value>(
  keys: readonly string[],
  rows: readonly Row[],
  keyOf: (row: Row) => string,
  valueOf: (row: Row) => Value,
): Map<string, Value[]> {
  const groups = new Map<string, Value[]>(keys.map((key) => [key, []]));
  for (const row of rows) groups.get(keyOf(row))?.push(valueOf(row));
  return groups;
}
