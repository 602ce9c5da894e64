/** One word for a POSIX shell, whatever it holds: single-quoted, with each ' written as '\''. */
export const shellQuote = (word: string): string => `'${word.replaceAll("'", `'\\''`)}'`;
