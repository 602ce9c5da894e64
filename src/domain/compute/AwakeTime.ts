import type { Clock } from '../Clock.js';

interface Stall {
  from: number;
  to: number;
}

export interface AwakeTimeOptions {
  /** How often the running replica looks at the clock. */
  tickMs: number;
  /** A gap longer than this between two looks is a stall; shorter ones are ordinary timer lateness. */
  stallMs: number;
  /** Told of every stall, when it is noticed. */
  onStall?: (stall: { from: Date; to: Date; ms: number }) => void;
}

/** Stalls kept; older ones are forgotten (they are far outside any silence that matters). */
const maxStalls = 1_000;

/**
 * The time this replica (one server process) was awake to hear compute services. A replica can stop
 * running for a while — SIGSTOP, a paused or migrated VM, a suspended laptop, an event loop held by a
 * long computation — while services keep sending heartbeats that wait, unread, in its sockets. When it
 * runs again its timers fire before those requests are read, so an expiry sweep would find every
 * service silent for the length of the pause and expire the healthy ones with the dead.
 *
 * A service is expired for its own silence, never for the server's: silence is counted only over time
 * this replica was awake. A stall shows as a gap between two looks at the clock longer than `stallMs`;
 * once started, the replica looks every `tickMs`, and at every use. A gap up to `stallMs` is not
 * discounted: services heartbeat several times per expiry period, which absorbs it. Before start()
 * (a library use of the domain, without a server loop) no time is discounted.
 */
export class AwakeTime {
  #lastLook: number | undefined;
  /** Oldest first, not overlapping. */
  readonly #stalls: Stall[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly options: AwakeTimeOptions,
  ) {}

  /** Starts looking at the clock every `tickMs`; stop() ends it. */
  start(): { stop(): void } {
    this.#lastLook = this.clock.now();
    const timer = setInterval(() => this.look(), this.options.tickMs);
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }

  /** Reads the clock and returns it; a gap since the last look longer than `stallMs` is recorded as a stall. */
  look(): number {
    const now = this.clock.now();
    const last = this.#lastLook;
    if (last === undefined) return now;
    if (now - last > this.options.stallMs) {
      this.#stalls.push({ from: last, to: now });
      if (this.#stalls.length > maxStalls) this.#stalls.shift();
      this.options.onStall?.({ from: new Date(last), to: new Date(now), ms: now - last });
    }
    // Following the clock even when it is set back, so a backward step is not a stall later.
    this.#lastLook = now;
    return now;
  }

  /**
   * The moment that lies `awakeMs` of this replica's awake time before now. Something last heard
   * before it has been silent at least that long while this replica could have heard it.
   */
  before(awakeMs: number): Date {
    let at = this.look();
    let left = awakeMs;
    for (let i = this.#stalls.length - 1; i >= 0; i -= 1) {
      const stall = this.#stalls[i]!;
      if (stall.to <= at - left) break;
      left -= Math.max(0, at - stall.to);
      at = Math.min(at, stall.from);
    }
    return new Date(at - left);
  }
}
