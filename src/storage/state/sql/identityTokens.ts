import { sqlRows } from '../directSql.js';
import type { StateDb } from '../openStateStore.js';

export interface TokenHolder {
  tokenId: string;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  identityId: string;
  kind: 'USER' | 'COMPUTE';
  name: string;
  isAdmin: boolean;
  disabledAt: Date | null;
  scopes: Array<{ org: string; campaign: string; project: string }>;
}

/** A token by its hash, with its identity and the identity's scope patterns: every request reads this first. */
export async function findTokenHolder(db: StateDb, tokenHash: string): Promise<TokenHolder | undefined> {
  const [row] = await sqlRows<TokenHolder[]>(db)`
    SELECT t.id::text AS "tokenId", t."expiresAt", t."revokedAt", t."lastUsedAt",
           i.id::text AS "identityId", i.kind::text AS kind, i.name, i."isAdmin", i."disabledAt",
           coalesce((SELECT jsonb_agg(jsonb_build_object('org', s.org, 'campaign', s.campaign, 'project', s.project)
                                      ORDER BY s.org, s.campaign, s.project)
                       FROM "IdentityScope" s WHERE s."identityId" = i.id), '[]'::jsonb) AS scopes
      FROM "IdentityToken" t
      JOIN "Identity" i ON i.id = t."identityId"
     WHERE t."tokenHash" = ${tokenHash}`;
  return row;
}
