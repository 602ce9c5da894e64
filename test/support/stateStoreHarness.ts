import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventSettings, TaskSettings } from '../../src/config.js';
import type { Clock } from '../../src/domain/Clock.js';
import type { Principal } from '../../src/domain/principal.js';
import { createServices } from '../../src/domain/services.js';
import type { Services } from '../../src/domain/services.js';
import type { LocalObjectStore } from '../../src/storage/objects/LocalObjectStore.js';
import type { Listening } from '../../src/storage/state/notifications.js';
import { openStateStore } from '../../src/storage/state/openStateStore.js';
import type { StateStore } from '../../src/storage/state/openStateStore.js';
import { pruneTaskEvents, taskEventsChannel } from '../../src/storage/state/sql/taskEvents.js';
import { defaultTestSettings } from './domainHarness.js';
import { startLocalObjectServer } from './localObjectServer.js';
import type { LocalObjectServer } from './localObjectServer.js';
import { ManualClock } from './manualClock.js';
import { createTestDatabase } from './postgres.js';
import { seededRandom } from './seededRandom.js';

export type StateStoreKind = 'postgres' | 'pglite';

/**
 * The domain services on one state store of its own (a PostgreSQL database, or a PGlite folder) and
 * a local object store in a temporary directory, wired as a server wires them: the event hub started
 * and woken by the store's notifications. Time is a ManualClock that moves only when a test moves it.
 */
export interface DomainOnStore {
  kind: StateStoreKind;
  services: Services;
  /** The store itself: tests read state through `store.db` where no service exposes it. */
  store: StateStore;
  objects: LocalObjectStore;
  clock: ManualClock;
  settings: TaskSettings;
  /** The bootstrap administrator. */
  admin: Principal;
  identity(kind: 'user' | 'compute', name: string, scopes: string[]): Promise<Principal>;
  /**
   * Another replica on the same stores and clock: services of their own (their own claim batching,
   * their own event hub, not started), as a second server process would have.
   */
  replica(options?: { clock?: Clock }): Services;
  /** What the server's event pruner does: events created before `before` go, and cursors before them expire. */
  pruneEventsBefore(before: Date): Promise<number>;
  close(): Promise<void>;
}

/**
 * The hub reads the outbox on every notification and otherwise only this rarely: a test that waits
 * for a live event passes only if the commit woke the hub (LISTEN/NOTIFY, or PGlite's own).
 */
/** How long after its URLs expired the services' upload sweeper removes an abandoned upload. */
export const uploadSweepGraceSeconds = 600;

const eventSettings: EventSettings = { pollMs: 60_000, retentionDays: 7, maxQueuedPerSubscriber: 10_000, reauthenticateSeconds: 30 };

export async function openDomainOn(kind: StateStoreKind, options: { settings?: Partial<TaskSettings> } = {}): Promise<DomainOnStore> {
  const releases: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const release of releases.reverse()) await release().catch((error: unknown) => console.error('closing the domain failed', error));
  };
  try {
    const store = await openStore(kind, releases);
    const objectServer: LocalObjectServer = await startLocalObjectServer();
    releases.push(() => objectServer.close());
    const objects = objectServer.store;
    const clock = new ManualClock();
    const settings: TaskSettings = { ...defaultTestSettings, ...options.settings };

    const build = (replicaClock: Clock, random: () => number): Services => {
      // The one place the services meet the store.
      const services = createServices({
        state: store.access,
        objects,
        settings,
        events: eventSettings,
        clock: replicaClock,
        random,
        uploadSweepGraceSeconds,
      });
      releases.push(() => services.patternMatcher.close());
      return services;
    };
    const services = build(clock, seededRandom(7));
    await services.eventHub.start();
    releases.push(() => services.eventHub.stop());
    const listening: Listening = await store.listen(
      taskEventsChannel,
      () => services.eventHub.wake(),
      (error) => {
        console.error('event notifications interrupted', error);
      },
    );
    releases.push(() => listening.close());

    const bootstrapped = await services.identities.bootstrapAdmin();
    if (bootstrapped === null) throw new Error('a fresh store already had an administrator');
    const admin = await services.identities.authenticate(bootstrapped.token);
    if (admin === null) throw new Error('the bootstrap administrator cannot authenticate');

    let replicas = 0;
    return {
      kind,
      services,
      store,
      objects,
      clock,
      settings,
      admin,
      identity: async (identityKind, name, scopes) => {
        const created = await services.identities.create(admin, { kind: identityKind, name, scopes });
        const principal = await services.identities.authenticate(created.token);
        if (principal === null) throw new Error(`identity ${name} cannot authenticate`);
        return principal;
      },
      replica: (replicaOptions = {}) => build(replicaOptions.clock ?? clock, seededRandom(100 + (replicas += 1))),
      pruneEventsBefore: (before) => pruneTaskEvents(store.db, before),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A store of its own, migrated; what removes it is pushed onto `releases`. */
async function openStore(kind: StateStoreKind, releases: Array<() => Promise<void>>): Promise<StateStore> {
  if (kind === 'postgres') {
    const database = await createTestDatabase();
    releases.push(() => database.drop());
    const store = await openStateStore({ kind: 'postgres', url: database.url }, { migrate: false, poolSize: 10 });
    releases.push(() => store.close());
    return store;
  }
  const folder = await mkdtemp(join(tmpdir(), 'dagkeeper-pglite-'));
  releases.push(() => rm(folder, { recursive: true, force: true }));
  const store = await openStateStore({ kind: 'pglite', dataDir: join(folder, 'state') });
  releases.push(() => store.close());
  return store;
}
