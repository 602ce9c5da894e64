import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError } from '../client/ApiClient.js';
import type { Logger } from '../observability/logger.js';
import type { InputCache } from './inputs/InputCache.js';
import type { ProtocolRegistry } from './protocols/registry.js';
import { isTransient } from './retry.js';
import { TaskExecutor } from './TaskExecutor.js';
import type { TaskOutcome } from './TaskExecutor.js';
import type { WorkerApi } from './WorkerApi.js';

export interface WorkerOptions {
  api: WorkerApi;
  protocols: ProtocolRegistry;
  /** Protocols to claim for (default: every one the registry has). */
  protocolNames?: string[];
  name?: string;
  /** The host it says it runs on, shown in Task.attempts (default: os.hostname()). */
  host?: string;
  scratchRoot: string;
  /** The host's input objects, shared with its other workers (docs/inputs.md). */
  inputCache: InputCache;
  concurrency: number;
  /** Stop after this many tasks (default: run until stopped). */
  maxTasks?: number;
  /** Seconds between heartbeats; by default a quarter of the server's expiry. */
  heartbeatSeconds?: number;
  /** How long to wait before asking again when there was nothing to claim. */
  pollSeconds: number;
  /** Exit when nothing is claimable instead of polling (for batch jobs). */
  exitWhenIdle?: boolean;
  log: Logger;
}

/**
 * A compute service: registers, heartbeats in the background, claims tasks for its protocols and
 * executes them one at a time. `stop()` (SIGTERM/SIGINT) lets running units finish and upload, then
 * deregisters, which gives an unfinished task back with its finished units kept; `stop()` again kills
 * running units at once.
 */
export class Worker {
  private serviceId: string | undefined;
  private stopRequests = 0;
  private readonly kill = new AbortController();
  private readonly wake = new AbortController();
  readonly outcomes: TaskOutcome[] = [];

  constructor(private readonly options: WorkerOptions) {}

  stop(): void {
    this.stopRequests += 1;
    this.wake.abort();
    if (this.stopRequests > 1) this.kill.abort();
  }

  async run(): Promise<void> {
    const { api, log } = this.options;
    const protocols = this.options.protocolNames ?? this.options.protocols.names();
    // Four beats per expiry period: one lost beat, or a slow one, never expires a healthy worker.
    const heartbeatSeconds = this.options.heartbeatSeconds ?? Math.min(30, Math.max(0.25, (await api.expirySeconds()) / 4));
    this.serviceId = await this.register(protocols);
    log.info(
      {
        computeServiceId: this.serviceId,
        protocols,
        maxTasks: this.options.maxTasks,
        exitWhenIdle: this.options.exitWhenIdle === true,
        heartbeatSeconds,
      },
      'compute service registered',
    );
    const heartbeat = this.startHeartbeat(heartbeatSeconds);
    const executor = new TaskExecutor({
      api,
      protocols: this.options.protocols,
      scratchRoot: this.options.scratchRoot,
      inputCache: this.options.inputCache,
      concurrency: this.options.concurrency,
      log,
      stopping: () => this.stopRequests > 0,
      signal: this.kill.signal,
      stopRequested: this.wake.signal,
    });
    try {
      while (this.stopRequests === 0 && (this.options.maxTasks === undefined || this.outcomes.length < this.options.maxTasks)) {
        const claimed = await this.claim(protocols);
        const [claim] = claimed === 'ask again' ? [] : claimed;
        if (claim === undefined) {
          if (this.options.exitWhenIdle === true && claimed !== 'ask again') break;
          await sleep(this.options.pollSeconds * 1000, undefined, { signal: this.wake.signal }).catch(() => undefined);
          continue;
        }
        try {
          this.outcomes.push(await executor.execute(claim));
        } catch (error) {
          // Something this worker cannot get past (a refused upload, a broken protocol): give the
          // task back by re-registering, rather than holding it while it heartbeats.
          log.error({ err: error, taskId: claim.taskId }, 'task failed in the worker; giving it back');
          await api.deregister(this.serviceId);
          this.serviceId = await this.register(protocols);
          this.outcomes.push('given back');
        }
      }
    } finally {
      clearInterval(heartbeat);
      await api.deregister(this.serviceId).catch((error: unknown) => log.warn({ err: error }, 'could not deregister'));
      log.info({ computeServiceId: this.serviceId, outcomes: this.outcomes }, 'compute service stopped');
    }
  }

  /** The task claimed (none when there is nothing to do now), or 'ask again': there may be, after a pause. */
  private async claim(protocols: string[]): Promise<Array<{ token: string; taskId: string }> | 'ask again'> {
    const serviceId = this.serviceId as string;
    try {
      return await this.options.api.claim(serviceId, 1, protocols);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'COMPUTE_SERVICE_GONE') {
        this.options.log.warn('the server expired this compute service; registering again');
        this.serviceId = await this.register(protocols);
        return [];
      }
      if (error instanceof ApiError && error.code === 'CLAIMS_SUSPENDED') {
        this.options.log.warn({ reason: error.message }, 'claims suspended');
        return [];
      }
      if (isTransient(error)) {
        // The server may have claimed tasks for us and the answer been lost: nobody would ever run
        // them while this service heartbeats. Deregistering gives back whatever it holds (results
        // kept); a new service claims afresh.
        this.options.log.warn({ err: error }, 'a claim got no answer; giving back whatever it may have claimed and registering again');
        await this.options.api.deregister(serviceId);
        this.serviceId = await this.register(protocols);
        return 'ask again';
      }
      throw error;
    }
  }

  private register(protocols: string[]): Promise<string> {
    const host = this.options.host ?? hostname();
    return this.options.api.register(this.options.name ?? `${hostname()}-${process.pid}`, protocols, host === '' ? null : host);
  }

  private startHeartbeat(seconds: number): NodeJS.Timeout {
    const timer = setInterval(() => {
      const serviceId = this.serviceId;
      if (serviceId === undefined) return;
      this.options.api.heartbeat(serviceId).catch((error: unknown) => this.options.log.warn({ err: error }, 'heartbeat failed'));
    }, seconds * 1000);
    timer.unref();
    return timer;
  }
}
