import { randomFillSync } from 'node:crypto';

export { hashToken as hashClaimToken } from '../identities/tokens.js';

const prefix = 'dkc_';
/** 32 random bytes in base64url are 43 characters. */
const tokenBytes = 32;
const shape = new RegExp(`^${prefix}[A-Za-z0-9_-]{43}$`);

/**
 * Random bytes for the next tokens, drawn 128 tokens at a time: a randomBytes call for each token cost
 * about 2.5 µs, a token's share of a pool about 0.15 µs. Each byte goes into one token only; the pool is
 * filled afresh once every token of it has been handed out.
 */
const pool = Buffer.alloc(tokenBytes * 128);
let nextToken = pool.length;

/** A claim token names one claim in every write a worker makes; only its hash is stored. */
export function generateClaimToken(): string {
  if (nextToken === pool.length) {
    randomFillSync(pool);
    nextToken = 0;
  }
  const token = prefix + pool.toString('base64url', nextToken, nextToken + tokenBytes);
  nextToken += tokenBytes;
  return token;
}

/** Whether `text` has a claim token's form (it may still name no claim). */
export const looksLikeClaimToken = (text: string): boolean => shape.test(text);
