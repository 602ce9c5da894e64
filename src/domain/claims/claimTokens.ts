import { randomBytes } from 'node:crypto';

export { hashToken as hashClaimToken } from '../identities/tokens.js';

/** A claim token names one claim in every write a worker makes; only its hash is stored. */
export const generateClaimToken = (): string => 'dkc_' + randomBytes(32).toString('base64url');
