import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError } from '../client/ApiClient.js';
import { TransientTransferError } from '../transfers/TransientTransferError.js';

/** Refusals worth retrying: the server or the network did not answer, not "no". */
const transientCodes = new Set(['UNREACHABLE', 'BAD_RESPONSE', 'SERVICE_UNAVAILABLE', 'INTERNAL_SERVER_ERROR']);

export const isTransient = (error: unknown): boolean =>
  error instanceof ApiError ? transientCodes.has(error.code) : error instanceof TransientTransferError;

export interface RetryOptions {
  /** Give up after this long in total (default: 10 minutes); a finished unit's result is worth waiting for. */
  maxElapsedMs?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  signal?: AbortSignal;
}

/**
 * Runs `work` until it succeeds or fails for good. Transient failures are retried with exponential
 * backoff and full jitter, so many workers recovering from one outage do not retry in lock-step.
 */
export async function withRetry<T>(work: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const started = Date.now();
  const base = options.baseDelayMs ?? 250;
  const cap = options.maxDelayMs ?? 15_000;
  const budget = options.maxElapsedMs ?? 600_000;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      const delay = Math.random() * Math.min(cap, base * 2 ** (attempt - 1));
      if (!isTransient(error) || Date.now() - started + delay > budget || options.signal?.aborted === true) throw error;
      options.onRetry?.(error, attempt, delay);
      await sleep(delay, undefined, options.signal === undefined ? {} : { signal: options.signal });
    }
  }
}
