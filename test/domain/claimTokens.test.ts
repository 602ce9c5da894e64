import { createHash } from 'node:crypto';
import { generateClaimToken, hashClaimToken, looksLikeClaimToken } from '../../src/domain/claims/claimTokens.js';
import { generateToken, hashToken, looksLikeToken } from '../../src/domain/identities/tokens.js';

describe('claim tokens from pooled randomness', () => {
  test('no token repeats, within a pool and across its refills, and each has the form', () => {
    // The pool holds 128 tokens: this crosses several refills, and starts wherever earlier tests left it.
    const tokens = Array.from({ length: 128 * 4 + 7 }, () => generateClaimToken());
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(tokens.filter((token) => !looksLikeClaimToken(token))).toEqual([]);
    // Tokens a refill apart share no bytes either (a pool refilled in place but read at the old offset would).
    const bodies = new Set(tokens.map((token) => token.slice(4, 20)));
    expect(bodies.size).toBe(tokens.length);
  });
});

describe('token hashes', () => {
  test("are the token's SHA-256 in hex, bearer and claim tokens alike", () => {
    for (const token of [generateToken(), generateClaimToken(), 'dkt_ΔF non-ASCII']) {
      expect(hashToken(token)).toBe(createHash('sha256').update(token, 'utf8').digest('hex'));
      expect(hashClaimToken(token)).toBe(hashToken(token));
    }
    expect(looksLikeToken(generateToken())).toBe(true);
  });
});
