import type { TokenHolder } from '../../../domain/identities/IdentityRepository.js';
import { sqlRows } from '../directSql.js';
import type { StateClient } from '../repositories/stateClient.js';

/**
 * Tokens by their hashes, each with its identity and the identity's scope patterns: every request
 * reads this first. Answers in the order asked, `undefined` for a hash that names no token; kinds as
 * the domain names them (user, compute).
 */
export async function findTokenHolders(db: StateClient, tokenHashes: readonly string[]): Promise<Array<TokenHolder | undefined>> {
  const rows = await sqlRows<Array<TokenHolder & { tokenHash: string }>>(db)`
    SELECT t."tokenHash", t.id::text AS "tokenId", t."expiresAt", t."revokedAt", t."lastUsedAt",
           i.id::text AS "identityId", lower(i.kind::text) AS kind, i.name, i."isAdmin", i."disabledAt",
           coalesce((SELECT jsonb_agg(jsonb_build_object('org', s.org, 'campaign', s.campaign, 'project', s.project)
                                      ORDER BY s.org, s.campaign, s.project)
                       FROM "IdentityScope" s WHERE s."identityId" = i.id), '[]'::jsonb) AS scopes
      FROM "IdentityToken" t
      JOIN "Identity" i ON i.id = t."identityId"
     WHERE t."tokenHash" = ANY(${tokenHashes}::text[])`;
  const byHash = new Map(rows.map(({ tokenHash, ...holder }) => [tokenHash, holder]));
  return tokenHashes.map((hash) => byHash.get(hash));
}
