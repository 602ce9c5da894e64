import { randomBytes } from 'node:crypto';

export { hashToken as hashClaimToken } from '../identities/tokens.js';

const prefix = 'dkc_';
/** 32 random bytes in base64url are 43 characters. */
const shape = new RegExp(`^${prefix}[A-Za-z0-9_-]{43}$`);

/** A claim token names one claim in every write a worker makes; only its hash is stored. */
export const generateClaimToken = (): string => prefix + randomBytes(32).toString('base64url');

/** Whether `text` has a claim token's form (it may still name no claim). */
export const looksLikeClaimToken = (text: string): boolean => shape.test(text);
