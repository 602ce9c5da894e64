import { badInput } from '../errors.js';
import { requireKind } from '../principal.js';
import type { Principal } from '../principal.js';
import { isProtocolName } from '../protocolName.js';
import { formatScope, parseScopePattern, scopeMatches } from '../scope.js';
import type { StateAccess } from '../state/StateAccess.js';
import { echo } from '../textLimits.js';
import { mayClaimFrom } from './mayClaimFrom.js';

export interface ClaimableCount {
  protocol: string;
  /** The scope of the hubs the tasks are on. */
  scope: string;
  count: number;
}

const maxProtocols = 100;

/**
 * What a compute identity could claim now, counted per protocol and scope: what a compute manager
 * watches to decide whether to start workers. The same notion of claimable as the claim itself (the
 * SQL's one predicate, and mayClaimFrom for the scopes), read when asked: the manager polls it.
 */
export class ClaimableWork {
  constructor(private readonly state: StateAccess) {}

  async counts(actor: Principal, protocols: readonly string[] | null, scope: string | null): Promise<ClaimableCount[]> {
    requireKind(actor, 'compute');
    if (protocols !== null && protocols.length > maxProtocols)
      throw badInput(`at most ${maxProtocols} protocols`, { field: 'protocols', maxItems: maxProtocols });
    const invalid = protocols?.find((protocol) => !isProtocolName(protocol));
    if (invalid !== undefined)
      throw badInput(`"${echo(invalid)}" is not a protocol name: letters, digits, ., _ or -, at most 100`, { field: 'protocols' });
    const pattern = scope === null ? null : parseScopePattern(scope);
    const rows = await this.state.claims.claimableTaskCounts(protocols === null ? null : [...new Set(protocols)]);
    return rows
      .filter((row) => mayClaimFrom(actor, row) && (pattern === null || scopeMatches(pattern, row)))
      .map((row) => ({ protocol: row.protocol, scope: formatScope(row), count: row.count }));
  }
}
