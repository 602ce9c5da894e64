import { createServer } from 'node:http';
import type { RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Config } from './config.js';
import type { Clock } from './domain/Clock.js';
import { DomainError, ErrorCode } from './domain/errors.js';
import { networkLimits } from './domain/networks/networkInput.js';
import type { Principal } from './domain/principal.js';
import { createServices } from './domain/services.js';
import type { Services } from './domain/services.js';
import { createApolloServer } from './graphql/apolloServer.js';
import { createFormatError } from './graphql/formatError.js';
import { createContext } from './graphql/context.js';
import { buildSchema } from './graphql/schema.js';
import { closeStalledBody } from './http/bodyProgress.js';
import { createFastGraphQL } from './http/fastGraphQL.js';
import { createGraphQLHandler } from './http/graphqlHandler.js';
import { dashboardRoutes } from './http/dashboardRoutes.js';
import { createSignedObjectHandler } from './http/objectRoutes.js';
import { sendJson } from './http/jsonResponse.js';
import { healthRoute, metricsRoute } from './http/operationalRoutes.js';
import { createRequestListener } from './http/requestListener.js';
import type { PrefixRoute } from './http/requestListener.js';
import { createLogger } from './observability/logger.js';
import type { Logger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { adminTokenPaths, readOrCreateSecret, writeNewPrivateFile } from './storage/dataFolder.js';
import { LocalObjectStore } from './storage/objects/LocalObjectStore.js';
import type { ObjectStore } from './domain/objects/ObjectStore.js';
import { openObjectStore } from './storage/objects/openObjectStore.js';
import { openStateStore } from './storage/state/openStateStore.js';
import { autovacuumWarning } from './storage/state/vacuumCheck.js';
import { revocationsChannel } from './storage/state/sql/revocations.js';
import { pruneTaskEvents, taskEventsChannel } from './storage/state/sql/taskEvents.js';
import type { StateStore } from './storage/state/openStateStore.js';
import { startGraphQLWsServer } from './ws/graphqlWsServer.js';
import { builtInSettingsChecks } from './worker/protocols/settingsChecks.js';

export interface App {
  /** Where the server listens, e.g. http://127.0.0.1:4000 (the real port when PORT was 0). */
  url: string;
  config: Config;
  log: Logger;
  metrics: Metrics;
  state: StateStore;
  objects: ObjectStore;
  services: Services;
  /** Set when this start created the first administrator: the file its token was written to (see bootstrapAdmin). */
  adminTokenPath: string | undefined;
  /** Stops taking requests, drains HTTP and WebSocket connections, then closes the stores. */
  stop(): Promise<void>;
}

/**
 * The composition root: every subsystem is built here from one Config, in tests exactly as in production.
 * `clock` is where the domain reads the time (token expiry and reuse, compute service expiry): the system
 * clock unless given; tests pass one they move by hand. WebSocket expiry timers run on real time.
 */
export async function startApp(config: Config, options: { log?: Logger; clock?: Clock } = {}): Promise<App> {
  const log = options.log ?? createLogger(config.logLevel);
  const metrics = new Metrics();

  // Listen first, answering 503 while migrations run, so the real port (PORT=0 in tests) is known
  // before anything that hands out URLs is built.
  // Headers must arrive within their timeout (Node answers 408 and closes), checked often enough to
  // hold to it. Node's whole-request timeout stays off: signed-URL uploads stream for as long as they
  // make progress, and GraphQL bodies have their own deadline (closeStalledBody, readBody).
  const httpServer = createServer({
    headersTimeout: config.headersTimeoutMs,
    requestTimeout: 0,
    connectionsCheckingInterval: Math.min(1_000, Math.max(50, config.headersTimeoutMs / 4)),
  });
  // One listener for the server's whole life, delegating to whatever answers now, so that no request
  // can ever arrive between two listeners and hang unanswered.
  let answer: RequestListener = (_req, res) => sendJson(res, 503, { status: 'starting' }, { 'retry-after': '1' });
  httpServer.on('request', (req, res) => answer(req, res));
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  // Shutdown order: stop taking requests first, then release what was acquired, newest first.
  let stopServing = () => new Promise<void>((resolve) => httpServer.close(() => resolve()));
  const releases: Array<() => Promise<void>> = [];
  const shutDown = async (ignoreErrors: boolean) => {
    for (const step of [stopServing, ...[...releases].reverse()]) {
      await (ignoreErrors ? step().catch(() => undefined) : step());
    }
  };

  try {
    // Until 'dagkeeper listening', /healthz answers 503 starting; say why, so a first start that
    // migrates a fresh store does not look hung.
    log.info(
      { url, state: config.state.kind, migrate: config.migrateOnStart },
      'starting: opening the state store and applying any pending migrations',
    );
    const state = await openStateStore(config.state, {
      migrate: config.migrateOnStart,
      preparedStatements: config.preparedStatements,
      connectionLifetimeSeconds: config.pgConnectionLifetimeSeconds,
    });
    releases.push(() => state.close());
    if (state.appliedMigrations.length > 0) log.info({ migrations: state.appliedMigrations }, 'applied database migrations');
    // Not on PGlite: it has no background processes to vacuum with, and the embedded store is for trials on one machine.
    const vacuumWarning = state.kind === 'postgres' ? await autovacuumWarning(state.db) : null;
    if (vacuumWarning !== null) log.warn(vacuumWarning);

    const signingSecret = config.signingSecret ?? (await readOrCreateSecret(join(config.dataDir, 'signing-secret')));
    const objects = await openObjectStore(config.objects, { publicBaseUrl: config.publicUrl ?? url, signingSecret });
    const services = createServices({
      state: state.access,
      objects,
      settings: config.tasks,
      events: config.events,
      log,
      tokenReuseMs: config.tokenReuseMs,
      protocolSettings: builtInSettingsChecks,
      clock: options.clock,
      uploadSweepGraceSeconds: config.uploadSweepGraceSeconds,
      maxInputBytes: config.maxInputBytes,
    });
    const sweeper = startExpirySweeper(services, config.tasks.computeServiceExpirySeconds, log);
    releases.push(async () => sweeper.stop());
    const uploadSweeper = services.uploadSweeper.start();
    releases.push(() => uploadSweeper.stop());
    services.eventHub.onDelivered = (count) => metrics.taskEventsDelivered.inc(count);
    metrics.observeEventHub(services.eventHub);
    metrics.observeComputeManagers(() => services.managers.census());
    await services.eventHub.start();
    releases.push(() => services.eventHub.stop());
    releases.push(() => services.patternMatcher.close());
    const listening = await state.listen(
      taskEventsChannel,
      () => services.eventHub.wake(),
      (error) => {
        log.warn({ err: error }, 'event notifications interrupted; reconnecting (events are still read every poll)');
      },
    );
    releases.push(() => listening.close());
    const revocations = services.identities.revocations;
    await revocations.start();
    releases.push(() => revocations.stop());
    const listeningForRevocations = await state.listen(
      revocationsChannel,
      () => {
        revocations.catchUp().catch((error: unknown) => log.warn({ err: error }, 'reading revocations failed; retrying on the next poll'));
      },
      (error) => {
        log.warn({ err: error }, 'revocation notifications interrupted; reconnecting (revocations are still read every second)');
      },
    );
    releases.push(() => listeningForRevocations.close());
    const pruner = startEventPruner(state, config.events.retentionDays, log);
    releases.push(async () => pruner.stop());
    const adminTokenPath = await bootstrapAdmin(services, config, log);

    const authenticate = (token: string): Promise<Principal | null> => services.identities.authenticate(token);
    const sizeLimits = { maxRequestBytes: config.maxRequestBytes, maxJsonValueBytes: networkLimits.maxJsonBytes };
    const makeContext = (principal: Principal, requestLog: Logger) => createContext(principal, services, metrics, requestLog, sizeLimits);
    const schema = buildSchema();
    const ws = startGraphQLWsServer({
      httpServer,
      path: '/graphql',
      schema,
      authenticate,
      makeContext,
      log,
      metrics,
      onRevoked: (listener) => revocations.onRevoked(listener),
      reauthenticateMs: config.events.reauthenticateSeconds * 1000,
      limits: config.requestLimits,
      maxMessageBytes: config.maxRequestBytes,
    });
    const fastPath = config.graphqlFastPath
      ? createFastGraphQL({ schema, limits: config.requestLimits, formatError: createFormatError(log), metrics })
      : undefined;
    const apollo = createApolloServer({
      schema,
      httpServer,
      log,
      metrics,
      shutdownGraceMs: config.shutdownGraceMs,
      limits: config.requestLimits,
      stopWebSockets: () => ws.stop(),
      onStopping: () => fastPath?.close(),
    });
    await apollo.start();
    // Apollo's drain closes the HTTP server and the WebSocket side.
    stopServing = () => apollo.stop();

    const prefixRoutes: PrefixRoute[] = [];
    if (objects instanceof LocalObjectStore) {
      const handler = createSignedObjectHandler(objects, {
        onUnexpectedError: (error) => log.error({ err: error }, 'object route failed'),
        isUploadOpen: async (grant) =>
          (await services.resultFiles.acceptsBytes(grant.key, grant.part?.uploadId)) ||
          (await services.imports.acceptsBytes(grant.key, grant.part?.uploadId)) ||
          services.inputs.uploads.acceptsBytes(grant.key, grant.part?.uploadId),
        onBytes: (direction, bytes) => metrics.objectBytes.inc({ direction }, bytes),
      });
      prefixRoutes.push((req, res, requestUrl) => {
        if (req.method === 'PUT') closeStalledBody(req, res, config.bodyTimeoutMs);
        return handler(req, res, requestUrl);
      });
    }
    const dashboard = await dashboardRoutes();
    answer = createRequestListener({
      log,
      metrics,
      prefixRoutes,
      routes: {
        '/graphql': createGraphQLHandler({
          apollo,
          authenticate,
          makeContext,
          maxRequestBytes: config.maxRequestBytes,
          bodyTimeoutMs: config.bodyTimeoutMs,
          fastPath,
          onAuthFailure: () => metrics.authFailures.inc({ transport: 'http' }),
        }),
        '/healthz': healthRoute([
          {
            name: 'state',
            check: async () => {
              await state.db.$queryRawUnsafe('select 1');
            },
          },
          {
            name: 'objects',
            check: async () => {
              await objects.stat('healthcheck');
            },
          },
        ]),
        '/metrics': metricsRoute(metrics),
        ...dashboard,
      },
    });
    log.info({ url, state: state.kind, objects: objects.kind }, 'dagkeeper listening');

    let stopping: Promise<void> | undefined;
    return {
      url,
      config,
      log,
      metrics,
      state,
      objects,
      services,
      adminTokenPath,
      stop: () => {
        stopping ??= (async () => {
          log.info('shutting down: draining connections');
          // Keep-alive sockets fall idle as their last responses finish; close them as they do,
          // rather than holding the port open until the grace period ends.
          const closeIdle = setInterval(() => httpServer.closeIdleConnections(), 50);
          try {
            await shutDown(false);
          } finally {
            clearInterval(closeIdle);
          }
          log.info('stopped');
        })();
        return stopping;
      },
    };
  } catch (error) {
    await shutDown(true);
    throw error;
  }
}

/**
 * Expires silent compute services a few times per expiry period, so a dead worker's tasks are back in
 * WAITING soon after its expiry even when nobody is claiming. Every replica may run one.
 */
function startExpirySweeper(services: Services, expirySeconds: number, log: Logger): { stop(): void } {
  // Silence is counted over this process's awake time only: watching for its own stalls starts here.
  const watching = services.compute.awake.start();
  const everyMs = Math.max(1_000, (expirySeconds * 1000) / 4);
  const timer = setInterval(() => {
    services.compute.expireSilent().catch((error: unknown) => log.error({ err: error }, 'expiring silent compute services failed'));
  }, everyMs);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      watching.stop();
    },
  };
}

/** Deletes events past their retention once an hour (and at start); every replica may run one. */
function startEventPruner(state: StateStore, retentionDays: number, log: Logger): { stop(): void } {
  const prune = () => {
    pruneTaskEvents(state.db, new Date(Date.now() - retentionDays * 86_400_000))
      .then((count) => {
        if (count > 0) log.info({ count }, 'pruned old task events');
      })
      .catch((error: unknown) => log.warn({ err: error }, 'pruning task events failed'));
  };
  prune();
  const timer = setInterval(prune, 3_600_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/**
 * On an empty store, creates the first administrator and writes its token to `<data>/admin-token`, or,
 * when that file already holds another store's token, to a file named for this store (adminTokenPaths).
 */
async function bootstrapAdmin(services: Services, config: Config, log: Logger): Promise<string | undefined> {
  try {
    const created = await services.identities.bootstrapAdmin();
    if (created === null) return undefined;
    const path = await writeNewPrivateFile(adminTokenPaths(config.dataDir, config.state), `${created.token}\n`);
    const usual = join(config.dataDir, 'admin-token');
    if (path === usual) {
      log.warn({ path }, 'created the first administrator identity "admin"; its token is in this file (mode 0600)');
    } else {
      log.warn(
        { path, kept: usual },
        `created the first administrator identity "admin" of this store; ${usual} already existed (another store's token?) and was kept: ` +
          `this store's administrator token is in ${path} (mode 0600); give it to the CLI with --token or DAGKEEPER_TOKEN`,
      );
    }
    return path;
  } catch (error) {
    // Another replica bootstrapped at the same moment: one administrator is what we wanted.
    if (error instanceof DomainError && error.code === ErrorCode.CONFLICT) return undefined;
    throw error;
  }
}
