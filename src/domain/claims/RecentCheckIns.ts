import type { ClaimableHub } from '../../storage/state/sql/claimTasks.js';

interface CheckedIn {
  identityId: string;
  protocolsKey: string;
  hubs: ClaimableHub[];
  at: number;
}

/**
 * The last successful claim check-in of each compute service, reused by its next claims for a short
 * while. A check-in is a heartbeat, a look at the service's failures and a probe for hubs with work;
 * a service claiming many times a second needs that once, not every time. Reuse is safe because the
 * claim statement itself refuses services that are expired, deregistered, silent or over their
 * failure limit (see claimFromHub), and a claim that comes back short checks in afresh.
 *
 * Bounded: past `limit` services the oldest entry goes first.
 */
export class RecentCheckIns {
  readonly #entries = new Map<string, CheckedIn>();

  constructor(
    /** How long a check-in may be reused; 0 turns reuse off. */
    readonly reuseMs: number,
    private readonly limit = 10_000,
  ) {
    if (!(Number.isFinite(reuseMs) && reuseMs >= 0)) throw new RangeError(`a check-in reuse period is 0 or more milliseconds, not ${reuseMs}`);
  }

  /** The hubs the service's last check-in saw, if it was made by this identity for these protocols recently enough. */
  hubsFor(serviceId: string, identityId: string, protocolsKey: string, now: number): ClaimableHub[] | undefined {
    const entry = this.#entries.get(serviceId);
    if (entry === undefined) return undefined;
    if (entry.identityId !== identityId || entry.protocolsKey !== protocolsKey || now - entry.at >= this.reuseMs) return undefined;
    return entry.hubs;
  }

  remember(serviceId: string, identityId: string, protocolsKey: string, hubs: ClaimableHub[], now: number): void {
    if (this.reuseMs === 0) return;
    this.#entries.delete(serviceId);
    this.#entries.set(serviceId, { identityId, protocolsKey, hubs, at: now });
    if (this.#entries.size > this.limit) this.#entries.delete(this.#entries.keys().next().value as string);
  }

  forget(serviceId: string): void {
    this.#entries.delete(serviceId);
  }
}
