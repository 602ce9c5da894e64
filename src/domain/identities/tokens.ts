import { createHash, randomBytes } from 'node:crypto';

/**
 * Bearer tokens: 32 random bytes, shown to their owner once and stored only as SHA-256. A fast hash is
 * enough because the token is random and long; there is nothing to brute-force a dictionary against.
 */

const prefix = 'dkt_';

export const generateToken = (): string => prefix + randomBytes(32).toString('base64url');

export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

export const looksLikeToken = (token: string): boolean => token.startsWith(prefix) && token.length === prefix.length + 43;
