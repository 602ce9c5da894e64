import { createHash, randomBytes } from 'node:crypto';
import * as crypto from 'node:crypto';

/**
 * Bearer tokens: 32 random bytes, shown to their owner once and stored only as SHA-256. A fast hash is
 * enough because the token is random and long; there is nothing to brute-force a dictionary against.
 */

const prefix = 'dkt_';

export const generateToken = (): string => prefix + randomBytes(32).toString('base64url');

/**
 * Node's one-shot hash (20.12 and later) where there is one: every request hashes its bearer token and
 * every claim its claim token, and a Hash object made and finished for each cost about three times as
 * much (1 µs against 0.35 µs here).
 */
const oneShotSha256: ((data: string) => string) | undefined =
  typeof crypto.hash === 'function' ? (data) => crypto.hash('sha256', data, 'hex') : undefined;

export const hashToken = (token: string): string =>
  oneShotSha256 !== undefined ? oneShotSha256(token) : createHash('sha256').update(token, 'utf8').digest('hex');

export const looksLikeToken = (token: string): boolean => token.startsWith(prefix) && token.length === prefix.length + 43;
