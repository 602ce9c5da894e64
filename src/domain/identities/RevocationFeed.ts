import type { Logger } from '../../observability/logger.js';

/** What a revocation ends: one token, or (tokenId null) every token of a disabled identity. */
export interface Revoked {
  tokenId: string | null;
  identityId: string;
}

/** A revocation as the log holds it: ids grow in commit order. */
export interface LoggedRevocation extends Revoked {
  id: bigint;
}

/** The revocation log every replica reads (IdentityRepository), in commit order. */
export interface RevocationSource {
  latestId(): Promise<bigint>;
  readAfter(id: bigint): Promise<LoggedRevocation[]>;
}

export interface RevocationFeedOptions {
  /** Read the log at least this often, whether or not a notification came (notifications are hints). */
  pollMs: number;
  log?: Logger | undefined;
}

/**
 * Tells this replica about every revocation and disabling, wherever it was made: those made here at
 * once (`announce`), those of other replicas when their notification wakes `catchUp`, or at the
 * latest at the next poll. Listeners (the token reuse, open WebSockets) act on each; a revocation may
 * reach them more than once, so what they do must be idempotent.
 */
export class RevocationFeed {
  private seen = 0n;
  private readonly listeners = new Set<(revoked: Revoked) => void>();
  /** A read that has not started yet: whoever calls now is served by it. */
  private queued: Promise<void> | undefined;
  private running: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly source: RevocationSource,
    private readonly options: RevocationFeedOptions,
  ) {}

  async start(): Promise<void> {
    this.seen = await this.source.latestId();
    this.timer = setInterval(() => {
      this.catchUp().catch((error: unknown) =>
        this.options.log?.warn({ err: error }, 'reading revocations failed; retrying on the next poll'),
      );
    }, this.options.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.running.catch(() => undefined);
  }

  /** Calls `listener` with every revocation from now on; returns what unsubscribes it. */
  onRevoked(listener: (revoked: Revoked) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A revocation this replica has just committed: acted on now, without waiting to read it back. */
  announce(revoked: Revoked): void {
    for (const listener of this.listeners) {
      try {
        listener(revoked);
      } catch (error) {
        this.options.log?.error({ err: error }, 'a revocation listener failed');
      }
    }
  }

  /**
   * Resolves once every revocation committed before the call has been handed to the listeners (it
   * rejects when the log could not be read). Calls that arrive together share one read.
   */
  catchUp(): Promise<void> {
    if (this.queued !== undefined) return this.queued;
    const previous = this.running;
    const read = (async () => {
      await previous.catch(() => undefined);
      // From here on, a caller needs a read that starts after it: this one may have missed its revocation.
      this.queued = undefined;
      for (const revocation of await this.source.readAfter(this.seen)) {
        if (revocation.id <= this.seen) continue;
        this.seen = revocation.id;
        this.announce({ tokenId: revocation.tokenId, identityId: revocation.identityId });
      }
    })();
    this.queued = read;
    this.running = read;
    return read;
  }
}
