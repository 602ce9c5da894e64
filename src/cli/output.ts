/** Prints rows as aligned columns (for people; every command also has --json for scripts). */
export function printTable(rows: Array<Record<string, unknown>>): void {
  if (rows.length === 0) {
    console.log('(none)');
    return;
  }
  const columns = Object.keys(rows[0] ?? {});
  const cells = rows.map((row) => columns.map((c) => String(row[c] ?? '')));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  console.log(line(columns.map((c) => c.toUpperCase())));
  for (const row of cells) console.log(line(row));
}

/** Prints rows as CSV (RFC 4180: a header line, fields quoted when they hold a comma, quote or line break). */
export function printCsv(columns: readonly string[], rows: ReadonlyArray<Record<string, unknown>>): void {
  const field = (value: unknown): string => {
    const text = value === null || value === undefined ? '' : String(value);
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  console.log(columns.join(','));
  for (const row of rows) console.log(columns.map((c) => field(row[c])).join(','));
}
