import { randomUUID } from 'node:crypto';
import { mkdir, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../../domain/Clock.js';
import { systemClock } from '../../domain/Clock.js';
import type { Logger } from '../../observability/logger.js';
import { downloadVerified } from '../../transfers/download.js';
import { withRetry } from '../retry.js';
import type { RetryOptions } from '../retry.js';
import { evictInputs } from './evictInputs.js';
import { tryLock } from './cacheLock.js';

/**
 * Input objects on a worker's host (docs/inputs.md, "On workers"): `<dir>/<sha256>` holds the decoded
 * content, downloaded once however many worker processes of the host want it. The process that takes
 * `<sha256>.lock` downloads (into a temporary file of its own, verified, then renamed into place);
 * the others wait for the file to appear, or for the lock to go stale (its process died) and take it.
 */

export interface InputObjectToFetch {
  sha256: string;
  /** Bytes of content, decoded. */
  size: number;
  encoding: 'IDENTITY' | 'GZIP';
  /** A URL that GETs the stored bytes now (asked for only when the object must be downloaded). */
  url(): Promise<string>;
}

export interface InputCacheOptions {
  dir: string;
  /** Bound on the cached content, exceeded only while every object is recently used. */
  maxBytes: number;
  clock?: Clock;
  /** An object used this recently is never evicted (default 10 minutes). */
  minIdleMs?: number;
  /** A download lock not refreshed for this long is stale (default 10 minutes; its holder refreshes it as it works). */
  staleLockMs?: number;
  retry?: RetryOptions;
  log?: Logger;
}

export const defaultInputCacheBytes = 20 * 1024 ** 3;
const tenMinutesMs = 10 * 60_000;
/** Waiting for another process's download: quick at first (small objects), then once a second. */
const firstPollMs = 20;
const maxPollMs = 1_000;

export class InputCache {
  private readonly clock: Clock;
  private readonly minIdleMs: number;
  private readonly staleLockMs: number;
  /** This process's own fetches under way, by SHA-256: a second ask joins the first instead of polling its lock. */
  private readonly fetching = new Map<string, Promise<string>>();

  constructor(private readonly options: InputCacheOptions) {
    this.clock = options.clock ?? systemClock;
    this.minIdleMs = options.minIdleMs ?? tenMinutesMs;
    this.staleLockMs = options.staleLockMs ?? tenMinutesMs;
  }

  /** The cached file holding the object's content, downloading it first if this host has not; marks it used. */
  pathOf(object: InputObjectToFetch): Promise<string> {
    const pending = this.fetching.get(object.sha256);
    if (pending !== undefined) return pending;
    const fetch = this.fetch(object).finally(() => this.fetching.delete(object.sha256));
    this.fetching.set(object.sha256, fetch);
    return fetch;
  }

  private async fetch(object: InputObjectToFetch): Promise<string> {
    const { dir } = this.options;
    const target = join(dir, object.sha256);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    let pollMs = firstPollMs;
    let waiting = false;
    for (;;) {
      if (await this.useIfPresent(target, object.size)) return target;
      const lock = await tryLock(`${target}.lock`, { clock: this.clock, staleMs: this.staleLockMs });
      if (lock !== null) {
        try {
          // Another process may have finished between the look above and taking the lock.
          if (await this.useIfPresent(target, object.size)) return target;
          await this.download(object, target);
          await this.touch(target);
          return target;
        } finally {
          await lock.release();
        }
      }
      if (!waiting) {
        waiting = true;
        this.options.log?.info({ sha256: object.sha256 }, 'waiting for another process of this host to download an input object');
      }
      await sleep(pollMs);
      pollMs = Math.min(maxPollMs, pollMs * 2);
    }
  }

  private async download(object: InputObjectToFetch, target: string): Promise<void> {
    const report = await evictInputs(this.options.dir, object.size, {
      maxBytes: this.options.maxBytes,
      minIdleMs: this.minIdleMs,
      abandonedMs: this.staleLockMs,
      now: this.clock.now(),
    });
    if (report.evicted.length > 0) this.options.log?.info({ evicted: report.evicted }, 'evicted input objects from the cache');
    if (report.overBy > 0) {
      this.options.log?.warn(
        { overBy: report.overBy, maxBytes: this.options.maxBytes },
        'input cache over its bound: every other object was used in the last minutes',
      );
    }
    const url = await object.url();
    const partial = `${target}.${process.pid}-${randomUUID()}.part`;
    const started = Date.now();
    await withRetry(
      () =>
        downloadVerified({ name: `input object ${object.sha256}`, url, size: object.size, sha256: object.sha256 }, target, undefined, {
          gunzip: object.encoding === 'GZIP',
          partial,
        }),
      this.options.retry,
    );
    this.options.log?.info({ sha256: object.sha256, size: object.size, ms: Date.now() - started }, 'downloaded an input object');
  }

  /** True (and the file marked used) when the complete object is there. */
  private async useIfPresent(target: string, size: number): Promise<boolean> {
    const info = await stat(target).catch(() => undefined);
    if (info === undefined || info.size !== size) return false;
    try {
      await this.touch(target);
      return true;
    } catch (error) {
      // Evicted between the look and the touch: fetch it again.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  private touch(target: string): Promise<void> {
    const seconds = this.clock.now() / 1000;
    return utimes(target, seconds, seconds);
  }
}
