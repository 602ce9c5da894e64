import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { Server as HttpServer } from 'node:http';
import type { Server as NetServer, Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { Client as GraphQLWsClient } from 'graphql-ws';
import type WebSocket from 'ws';

/**
 * Whatever a test starts that runs on after the call that started it — a child process, a listening
 * server, an in-process App, a client socket — is registered here. After the test file's last afterAll
 * hook, test/support/leakCheckEnvironment.mjs stops what is still running and fails the file naming it,
 * also when a test failed or timed out. The helpers (serverProcess.ts, workerProcess.ts, s3rver.ts,
 * testApp.ts, …) register what they start, so tests need do nothing; a test that starts something
 * itself registers it with a track… function.
 */

interface Entry {
  label: string;
  /** The test that started it, or the file's hooks. */
  startedBy: string;
  /** Stoppables first: they stop the children and servers they own more gently than a signal would. */
  order: 'first' | 'last';
  running(): boolean;
  /** Its owner has begun to stop it: waited for, not counted as left running (unless it hangs). */
  stopping(): Promise<unknown> | undefined;
  stop(): Promise<unknown>;
}

/** Lives on the test file's global, where the environment finds it, whichever module instance registered. */
const registryKey = '__dagkeeperTracked';

interface Registry {
  entries: Set<Entry>;
  /** Stops what is still running; returns one line per leftover, empty when the file cleaned up. */
  stopLeftovers(): Promise<string[]>;
}

function registry(): Registry {
  const holder = globalThis as typeof globalThis & { [registryKey]?: Registry };
  holder[registryKey] ??= createRegistry();
  return holder[registryKey];
}

/** Generous: an App draining or a database being dropped on a loaded machine is slow, not stuck. */
const ownerStopDeadlineMs = 60_000;
const leftoverStopDeadlineMs = 60_000;

function createRegistry(): Registry {
  const entries = new Set<Entry>();
  return {
    entries,
    stopLeftovers: async () => {
      const report: string[] = [];
      for (const entry of entries) {
        const stopping = entry.stopping();
        if (
          stopping !== undefined &&
          (await settlesWithin(
            stopping.then(
              () => 'done',
              () => 'done',
            ),
            ownerStopDeadlineMs,
          )) === timedOut
        ) {
          report.push(`${nameOf(entry)}: still stopping ${ownerStopDeadlineMs / 1000} s after its owner began to stop it`);
        }
      }
      for (const order of ['first', 'last'] as const) {
        const left = [...entries].filter((entry) => entry.order === order && entry.running());
        await Promise.all(
          left.map(async (entry) => {
            const outcome = await settlesWithin(
              entry.stop().then(
                () => 'stopped',
                (error: unknown) => `stopping it failed: ${String(error)}`,
              ),
              leftoverStopDeadlineMs,
            );
            report.push(`${nameOf(entry)}: ${outcome === timedOut ? `did not stop within ${leftoverStopDeadlineMs / 1000} s` : outcome}`);
          }),
        );
      }
      entries.clear();
      return report;
    },
  };
}

const nameOf = (entry: Entry) => `${entry.label} (started by ${entry.startedBy})`;

function currentTest(): string {
  const name = typeof expect === 'undefined' ? undefined : expect.getState().currentTestName;
  return name === undefined ? 'a beforeAll hook' : `test "${name}"`;
}

export interface Tracked {
  /** Its owner stopped it: no longer watched. */
  untrack(): void;
}

function register(entry: Omit<Entry, 'startedBy'>): Tracked {
  const { entries } = registry();
  const full: Entry = { ...entry, startedBy: currentTest() };
  entries.add(full);
  return { untrack: () => entries.delete(full) };
}

export const timedOut = Symbol('timed out');

/** The promise's value, or `timedOut` if it has not settled within `ms` (the timer is cleared either way). */
export async function settlesWithin<T>(promise: Promise<T>, ms: number): Promise<T | typeof timedOut> {
  const timer = new AbortController();
  try {
    return await Promise.race([promise, delay(ms, timedOut, { signal: timer.signal })]);
  } finally {
    timer.abort();
  }
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const exits = new WeakMap<ChildProcess, Promise<ChildExit>>();

export const isRunning = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

/** Resolves when the child has exited (at once if it has). */
export function exitOf(child: ChildProcess): Promise<ChildExit> {
  let exit = exits.get(child);
  if (exit === undefined) {
    exit = isRunning(child)
      ? once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }))
      : Promise.resolve({ code: child.exitCode, signal: child.signalCode });
    exits.set(child, exit);
  }
  return exit;
}

function signal(child: ChildProcess, name: NodeJS.Signals): void {
  try {
    child.kill(name);
  } catch {
    // Gone already (ESRCH): its exit event is on the way.
  }
}

/**
 * Sends `signal` (SIGTERM by default) and waits for the child to exit; if it has not within `graceMs`
 * (its event loop is stuck, so its handler never runs), SIGKILL. A paused (SIGSTOPped) child is sent
 * SIGCONT first: it would keep any other signal pending until it runs again.
 */
export async function stopChild(
  child: ChildProcess,
  options: { signal?: NodeJS.Signals; graceMs?: number } = {},
): Promise<ChildExit & { killedAfterGrace: boolean }> {
  const exited = exitOf(child);
  if (!isRunning(child)) return { ...(await exited), killedAfterGrace: false };
  const { signal: first = 'SIGTERM', graceMs = 5_000 } = options;
  signal(child, 'SIGCONT');
  signal(child, first);
  if (first === 'SIGKILL' || (await settlesWithin(exited, graceMs)) !== timedOut) return { ...(await exited), killedAfterGrace: false };
  signal(child, 'SIGKILL');
  return { ...(await exited), killedAfterGrace: true };
}

const endingSignals = new Set<NodeJS.Signals | number>(['SIGTERM', 'SIGKILL', 'SIGINT', 'SIGHUP', 'SIGQUIT']);

/** A child process: left running if it has not exited; it is stopped with stopChild. */
export function trackChild(child: ChildProcess, label: string): Tracked {
  const exited = exitOf(child);
  // The last signal sent: a child its test told to end is on its way out, not left running.
  let lastSignal: NodeJS.Signals | number | undefined;
  const kill = child.kill.bind(child);
  child.kill = (sent?: NodeJS.Signals | number) => {
    lastSignal = sent ?? 'SIGTERM';
    return kill(sent);
  };
  const tracked = register({
    label: `${label} (pid ${child.pid})`,
    order: 'last',
    running: () => isRunning(child),
    stopping: () => (lastSignal !== undefined && endingSignals.has(lastSignal) && isRunning(child) ? exited : undefined),
    stop: () => stopChild(child),
  });
  void exited.then(() => tracked.untrack());
  return tracked;
}

/** A listening http or net server: left running while it listens; closed with its connections cut. */
export function trackServer(server: NetServer | HttpServer, label: string): Tracked {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const tracked = register({
    label,
    order: 'last',
    running: () => server.listening,
    stopping: () => undefined,
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      if ('closeAllConnections' in server) server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  });
  server.once('close', () => tracked.untrack());
  return tracked;
}

/**
 * Something with its own way to stop (an in-process App, a rig of processes and stores): returns that
 * stop, run at most once whoever calls it. It is left running until stopped, or while `running` says so.
 */
export function trackStoppable(label: string, stop: () => Promise<void>, options: { running?: () => boolean } = {}): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  const stopOnce = () => {
    stopping ??= stop().finally(() => tracked.untrack());
    return stopping;
  };
  const tracked: Tracked = register({
    label,
    order: 'first',
    running: () => stopping === undefined && (options.running?.() ?? true),
    stopping: () => stopping,
    stop: stopOnce,
  });
  return stopOnce;
}

/** A client socket (ws or net): left running until it is closed; then destroyed. */
export function trackSocket(socket: WebSocket | Socket, label: string): Tracked {
  const isWebSocket = 'terminate' in socket;
  const tracked = register({
    label,
    order: 'first',
    running: () => (isWebSocket ? socket.readyState <= 1 : !socket.destroyed),
    stopping: () => undefined,
    stop: async () => {
      if (isWebSocket) socket.terminate();
      else socket.destroy();
    },
  });
  socket.once('close', () => tracked.untrack());
  return tracked;
}

/** A graphql-ws client: left running while its socket is open; disposed. */
export function trackGraphQLWsClient(client: GraphQLWsClient, label: string): Tracked {
  let open = false;
  client.on('opened', () => {
    open = true;
  });
  client.on('closed', () => {
    open = false;
  });
  return register({
    label,
    order: 'first',
    running: () => open,
    stopping: () => undefined,
    stop: async () => {
      await client.dispose();
    },
  });
}
