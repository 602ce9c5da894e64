import type { ClaimableHub, HubDrawPoint } from './ClaimRepository.js';

/** Draws one item at random in proportion to its weight (all weights > 0); `random` returns [0, 1). */
export function pickWeighted<T extends { weight: number }>(items: readonly T[], random: () => number): T | undefined {
  const total = items.reduce((sum, item) => sum + item.weight, 0);
  let point = random() * total;
  for (const item of items) {
    point -= item.weight;
    if (point < 0) return item;
  }
  return items.at(-1);
}

/**
 * The hubs a claimer may take work from, as the claim service knows them: a draw (hubs drawn one by
 * one in proportion to weight, with replacement, so one may come several times: sampleClaimableHubs)
 * or every hub with work (claimableHubs). Each `next` is one hub in proportion to weight: from a draw,
 * the next drawn hub, each draw used once so that claims sharing a check-in still get independent
 * picks; from every hub, one by weight. Claims of one service share it while its check-in is reused.
 */
export class HubChoice {
  #hubs: ClaimableHub[];

  /** `complete`: every hub with work the claimer may claim from, so once it runs dry there is no work. */
  constructor(
    hubs: readonly ClaimableHub[],
    readonly complete: boolean,
  ) {
    this.#hubs = [...hubs];
  }

  /** The next hub to claim from; undefined once none is left. */
  next(random: () => number): ClaimableHub | undefined {
    return this.complete ? pickWeighted(this.#hubs, random) : this.#hubs.shift();
  }

  /** A hub that came up short is not offered again (however often it was drawn). */
  drop(hubId: string): void {
    this.#hubs = this.#hubs.filter((hub) => hub.hubId !== hubId);
  }

  /** Only the hubs `keep` allows. */
  only(keep: (hub: ClaimableHub) => boolean): HubChoice {
    return new HubChoice(this.#hubs.filter(keep), this.complete);
  }
}

/** Random points for one draw of hubs: one draw per claim, so a busy service checks in about every this many claims. */
export const hubDrawPoints = 64;

export function drawPoints(random: () => number, count = hubDrawPoints): HubDrawPoint[] {
  return Array.from({ length: count }, () => ({ slot: random(), accept: random() }));
}
