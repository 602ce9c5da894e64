import { formatScopedKey } from '../../../domain/scopedKey.js';
import { sqlRows } from '../directSql.js';
import type { SqlClient } from '../directSql.js';

/** The networks holding each of these transformations, as scoped keys, oldest network first. */
export async function networkKeysOfTransformations(
  db: SqlClient,
  transformationIds: readonly string[],
): Promise<Array<{ transformationId: string; networkKey: string }>> {
  if (transformationIds.length === 0) return [];
  const rows = await sqlRows<Array<{ transformationId: string; key: string; org: string; campaign: string; project: string }>>(db)`
    SELECT e."transformationId"::text AS "transformationId", n.key, s.org, s.campaign, s.project
      FROM "NetworkEdge" e JOIN "AlchemicalNetwork" n ON n.id = e."networkId" JOIN "Scope" s ON s.id = n."scopeId"
     WHERE e."transformationId" = ANY(${[...transformationIds]}::uuid[])
     ORDER BY n."createdAt", n.id`;
  return rows.map(({ transformationId, key, org, campaign, project }) => ({
    transformationId,
    networkKey: formatScopedKey(key, { org, campaign, project }),
  }));
}
