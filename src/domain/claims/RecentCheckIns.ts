import type { HubChoice } from './pickHub.js';
import { ReuseWindow } from '../ReuseWindow.js';

interface CheckedIn {
  identityId: string;
  laneKey: string;
  hubs: HubChoice;
}

/**
 * The last successful claim check-in of each compute service, reused by its next claims for a short
 * while. A check-in is a heartbeat, a look at the service's failures and a probe for hubs with work;
 * a service claiming many times a second needs that once, not every time. Reuse is safe because the
 * claim statement itself refuses services that are expired, deregistered, silent or over their
 * failure limit (see claimFromHub), and a claim that comes back short checks in afresh.
 */
export class RecentCheckIns {
  readonly #checkIns: ReuseWindow<CheckedIn>;

  /** `reuseMs`: how long a check-in may be reused (0 turns reuse off); past `limit` services the oldest goes first. */
  constructor(reuseMs: number, limit?: number) {
    this.#checkIns = new ReuseWindow(reuseMs, limit);
  }

  /**
   * The hubs the service's last check-in found, if it was made by this identity for the same lane
   * (protocols and scopes) recently enough.
   */
  hubsFor(serviceId: string, identityId: string, laneKey: string, now: number): HubChoice | undefined {
    const checkedIn = this.#checkIns.get(serviceId, now);
    if (checkedIn === undefined || checkedIn.identityId !== identityId || checkedIn.laneKey !== laneKey) return undefined;
    return checkedIn.hubs;
  }

  remember(serviceId: string, identityId: string, laneKey: string, hubs: HubChoice, now: number): void {
    this.#checkIns.set(serviceId, { identityId, laneKey, hubs }, now);
  }

  forget(serviceId: string): void {
    this.#checkIns.delete(serviceId);
  }
}
