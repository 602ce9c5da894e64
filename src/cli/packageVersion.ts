import { readFileSync } from 'node:fs';

/**
 * The version in package.json, read when asked: two levels up from src/cli (or dist/cli) is the
 * package root, wherever the package is installed.
 */
export function packageVersion(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  const { version } = JSON.parse(text) as { version?: unknown };
  return typeof version === 'string' ? version : 'unknown';
}
