import type { Scope } from '../../domain/scope.js';
import type { StateTx } from './openStateStore.js';

/** The id of a scope's row, creating the row on first use. */
export async function ensureScopeId(tx: StateTx, scope: Scope): Promise<string> {
  const row = await tx.scope.upsert({
    where: { org_campaign_project: scope },
    create: scope,
    update: {},
    select: { id: true },
  });
  return row.id;
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
