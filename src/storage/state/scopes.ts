import type { Scope } from '../../domain/scope.js';
import type { StateTx } from './openStateStore.js';

/**
 * The id of a scope's row, creating the row on first use. Not `upsert`: two first uses at once would
 * both try to create it, and one would fail on the unique key.
 */
export async function ensureScopeId(tx: StateTx, scope: Scope): Promise<string> {
  await tx.scope.createMany({ data: [scope], skipDuplicates: true });
  const row = await tx.scope.findUniqueOrThrow({ where: { org_campaign_project: scope }, select: { id: true } });
  return row.id;
}

/** The scopes of these scope row ids, by id (one query). */
export async function scopesById(tx: StateTx, ids: Iterable<string>): Promise<Map<string, Scope>> {
  const rows = await tx.scope.findMany({ where: { id: { in: [...new Set(ids)] } } });
  return new Map(rows.map((s) => [s.id, { org: s.org, campaign: s.campaign, project: s.project }]));
}

/** A Prisma filter on a `scope` relation matching any of the patterns (`*` parts match anything). */
export function scopeFilter(patterns: readonly Scope[]): { OR: Array<{ scope: Partial<Scope> }> } {
  return {
    OR: patterns.map((p) => ({
      scope: {
        ...(p.org === '*' ? {} : { org: p.org }),
        ...(p.campaign === '*' ? {} : { campaign: p.campaign }),
        ...(p.project === '*' ? {} : { project: p.project }),
      },
    })),
  };
}
