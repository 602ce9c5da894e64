import { resolve } from 'node:path';
import { defaultEventSettings } from './domain/events/eventDefaults.js';
import { defaultRequestLimits } from './graphql/limits/requestLimits.js';
import type { RequestLimits } from './graphql/limits/requestLimits.js';
import type { S3ObjectStoreOptions } from './storage/objects/S3ObjectStore.js';
import { defaultConnectionLifetimeSeconds } from './storage/state/connectionLifetime.js';
import type { StateLocation } from './storage/state/openStateStore.js';

/**
 * Every setting dagkeeper reads from the environment, parsed once into a typed object. No other
 * module reads `process.env`: everything else receives a Config (or a part of it).
 */

/** The S3 store's options as the environment sets them (the part size stays the store's default). */
export type S3Settings = Omit<S3ObjectStoreOptions, 'partSize' | 'region'> & { region: string };

export interface Config {
  host: string;
  port: number;
  /**
   * Base URL clients use to reach this server (signed object URLs of the local store point here);
   * unset, it is the address the server is listening on.
   */
  publicUrl: string | undefined;
  dataDir: string;
  state: StateLocation;
  /** Apply pending migrations on start. */
  migrateOnStart: boolean;
  /** Prepare PostgreSQL statements once per connection (off behind a pooler that shares server connections). */
  preparedStatements: boolean;
  /** Seconds a PostgreSQL connection serves before it is replaced (its prepared plans with it); 0 keeps it. */
  pgConnectionLifetimeSeconds: number;
  objects: { kind: 'local'; root: string } | ({ kind: 's3' } & S3Settings);
  /** Secret for signed URLs of the local object store; generated into the data folder when unset. */
  signingSecret: string | undefined;
  logLevel: string;
  /** Largest GraphQL request body accepted, in bytes. */
  maxRequestBytes: number;
  /** Run accepted documents' queries and mutations over HTTP without Apollo's pipeline, with identical answers (src/http/fastGraphQL.ts). */
  graphqlFastPath: boolean;
  /** What one GraphQL document may ask for: tokens, depth, estimated cost, aliases, root fields, directives. */
  requestLimits: RequestLimits;
  /** How long graceful shutdown waits for open requests and sockets before closing them. */
  shutdownGraceMs: number;
  /** A request's headers must arrive within this. */
  headersTimeoutMs: number;
  /** A GraphQL request's body must arrive whole within this; a signed-URL upload may not pause for longer. */
  bodyTimeoutMs: number;
  /** How long a bearer token's lookup is reused by its next requests; a revocation reaches other replicas within it. */
  tokenReuseMs: number;
  /**
   * Uncommitted ResultFile uploads are swept this long after their URLs expired, and what a claim's
   * interrupted writes left in the object store this long after the claim ended.
   */
  uploadSweepGraceSeconds: number;
  /** The largest input object accepted, in bytes of content (docs/inputs.md). */
  maxInputBytes: number;
  tasks: TaskSettings;
  events: EventSettings;
}

/** How task events reach subscribers. */
export interface EventSettings {
  /** Each replica reads the event outbox at least this often, notification or not. */
  pollMs: number;
  /** Events older than this are pruned; a `since` cursor before them gets CURSOR_EXPIRED. */
  retentionDays: number;
  /** A subscriber further behind than this is disconnected (it may resume with `since`). */
  maxQueuedPerSubscriber: number;
  /** WebSocket connections re-check their token this often; revoked or changed, the socket is closed. */
  reauthenticateSeconds: number;
}

/** The rules of claiming and result shipping that an operator may tune. */
export interface TaskSettings {
  /** A compute service silent this long is expired and its running tasks go back to WAITING. */
  computeServiceExpirySeconds: number;
  /** A service with more than this many failed DAG results in the window is refused claims. */
  claimFailureLimit: number;
  claimFailureWindowSeconds: number;
  /** Lifetime of presigned upload and download URLs. */
  uploadUrlSeconds: number;
  downloadUrlSeconds: number;
  /** ResultFiles larger than this are uploaded in parts, each this large. */
  multipartPartBytes: number;
  /** The largest ResultFile accepted. */
  maxResultFileBytes: number;
  /** At most this many part URLs in one answer; a client asks for the next ones with continueResultFileUpload. */
  uploadPartUrlsPerAnswer: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const problems: string[] = [];
  const text = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = text(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  };
  const flag = (name: string, fallback: boolean): boolean => {
    const raw = text(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    problems.push(`${name} must be true or false, got "${raw}"`);
    return fallback;
  };

  const port = integer('PORT', 4000, 0, 65535);
  const host = text('HOST') ?? '127.0.0.1';
  const dataDir = resolve(cwd, text('DAGKEEPER_DATA') ?? '.dagkeeper');
  const publicUrl = text('DAGKEEPER_PUBLIC_URL')?.replace(/\/+$/, '');
  if (publicUrl !== undefined && !/^https?:\/\/[^/]/.test(publicUrl)) {
    problems.push(`DAGKEEPER_PUBLIC_URL must be an http(s) URL, got "${publicUrl}"`);
  }

  const databaseUrl = text('DATABASE_URL');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('DATABASE_URL must be a postgresql:// URL');
  }
  const state: StateLocation =
    databaseUrl !== undefined ? { kind: 'postgres', url: databaseUrl } : { kind: 'pglite', dataDir: resolve(dataDir, 'pglite') };

  const objects = parseObjects(text, dataDir, problems);

  const config: Config = {
    host,
    port,
    publicUrl,
    dataDir,
    state,
    migrateOnStart: flag('DAGKEEPER_MIGRATE_ON_START', true),
    preparedStatements: flag('DAGKEEPER_PG_PREPARED_STATEMENTS', true),
    pgConnectionLifetimeSeconds: integer('DAGKEEPER_PG_CONNECTION_LIFETIME_SECONDS', defaultConnectionLifetimeSeconds, 0, 86_400),
    objects,
    signingSecret: text('DAGKEEPER_SIGNING_SECRET'),
    logLevel: text('LOG_LEVEL') ?? 'info',
    maxRequestBytes: integer('DAGKEEPER_MAX_REQUEST_BYTES', 1024 * 1024, 1024, 512 * 1024 * 1024),
    graphqlFastPath: flag('DAGKEEPER_GRAPHQL_FAST_PATH', true),
    requestLimits: {
      // Above 5,000 tokens a document could nest deeply enough to exhaust the stack of graphql-js's recursive parser.
      maxTokens: integer('DAGKEEPER_MAX_QUERY_TOKENS', defaultRequestLimits.maxTokens, 100, 5_000),
      maxDepth: integer('DAGKEEPER_MAX_QUERY_DEPTH', defaultRequestLimits.maxDepth, 1, 1_000),
      maxComplexity: integer('DAGKEEPER_MAX_QUERY_COMPLEXITY', defaultRequestLimits.maxComplexity, 1, 1_000_000_000),
      listSize: integer('DAGKEEPER_QUERY_LIST_SIZE', defaultRequestLimits.listSize, 1, 10_000),
      maxAliases: integer('DAGKEEPER_MAX_QUERY_ALIASES', defaultRequestLimits.maxAliases, 0, 10_000),
      maxRootFields: integer('DAGKEEPER_MAX_QUERY_ROOT_FIELDS', defaultRequestLimits.maxRootFields, 1, 10_000),
      maxDirectives: integer('DAGKEEPER_MAX_QUERY_DIRECTIVES', defaultRequestLimits.maxDirectives, 0, 10_000),
    },
    shutdownGraceMs: integer('DAGKEEPER_SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    headersTimeoutMs: integer('DAGKEEPER_HEADERS_TIMEOUT_MS', 10_000, 100, 600_000),
    bodyTimeoutMs: integer('DAGKEEPER_BODY_TIMEOUT_MS', 10_000, 100, 3_600_000),
    tokenReuseMs: integer('DAGKEEPER_TOKEN_REUSE_MS', 1_000, 0, 60_000),
    uploadSweepGraceSeconds: integer('DAGKEEPER_UPLOAD_SWEEP_GRACE_SECONDS', 3_600, 60, 30 * 86_400),
    maxInputBytes: integer('DAGKEEPER_MAX_INPUT_BYTES', 1024 ** 3, 1, 5 * 1024 ** 4),
    tasks: {
      computeServiceExpirySeconds: integer('DAGKEEPER_COMPUTE_EXPIRY_SECONDS', 20, 1, 86_400),
      claimFailureLimit: integer('DAGKEEPER_CLAIM_FAILURE_LIMIT', 5, 0, 1_000_000),
      claimFailureWindowSeconds: integer('DAGKEEPER_CLAIM_FAILURE_WINDOW_SECONDS', 600, 1, 86_400 * 7),
      uploadUrlSeconds: integer('DAGKEEPER_UPLOAD_URL_SECONDS', 3_600, 60, 7 * 86_400),
      downloadUrlSeconds: integer('DAGKEEPER_DOWNLOAD_URL_SECONDS', 3_600, 60, 7 * 86_400),
      multipartPartBytes: integer('DAGKEEPER_MULTIPART_PART_BYTES', 64 * 1024 * 1024, 5 * 1024 * 1024, 5 * 1024 * 1024 * 1024),
      maxResultFileBytes: integer('DAGKEEPER_MAX_RESULT_FILE_BYTES', 5 * 1024 ** 4, 1, 5 * 1024 ** 4),
      uploadPartUrlsPerAnswer: integer('DAGKEEPER_UPLOAD_PART_URLS_PER_ANSWER', 100, 1, 1_000),
    },
    events: {
      pollMs: integer('DAGKEEPER_EVENT_POLL_MS', defaultEventSettings.pollMs, 10, 60_000),
      retentionDays: integer('DAGKEEPER_EVENT_RETENTION_DAYS', defaultEventSettings.retentionDays, 1, 3_650),
      maxQueuedPerSubscriber: integer('DAGKEEPER_EVENT_MAX_QUEUED', defaultEventSettings.maxQueuedPerSubscriber, 10, 10_000_000),
      reauthenticateSeconds: integer('DAGKEEPER_WS_REAUTHENTICATE_SECONDS', defaultEventSettings.reauthenticateSeconds, 1, 86_400),
    },
  };
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(config.logLevel)) {
    problems.push(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "${config.logLevel}"`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function parseObjects(text: (name: string) => string | undefined, dataDir: string, problems: string[]): Config['objects'] {
  const endpoint = text('S3_ENDPOINT');
  if (endpoint === undefined) return { kind: 'local', root: resolve(dataDir, 'objects') };
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    problems.push(`S3_ENDPOINT must be a URL such as http://minio:9000, got "${endpoint}"`);
  }
  const required = (name: string): string => {
    const value = text(name);
    if (value === undefined) problems.push(`${name} is required when S3_ENDPOINT is set`);
    return value ?? '';
  };
  const useSSL = url?.protocol === 'https:';
  return {
    kind: 's3',
    endPoint: url?.hostname ?? '',
    port: url !== undefined && url.port !== '' ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    accessKey: required('S3_ACCESS_KEY'),
    secretKey: required('S3_SECRET_KEY'),
    bucket: text('S3_BUCKET') ?? 'dagkeeper',
    region: text('S3_REGION') ?? 'us-east-1',
    publicEndpoint: text('S3_PUBLIC_ENDPOINT'),
  };
}

/** What `dagkeeper worker` reads from the environment. */
export interface WorkerSettings {
  /** Bound on the host's input cache (docs/inputs.md, "On workers"). */
  inputCacheBytes: number;
}

export function loadWorkerSettings(env: Env = process.env): WorkerSettings {
  const raw = env.DAGKEEPER_WORKER_INPUT_CACHE_BYTES?.trim();
  if (raw === undefined || raw === '') return { inputCacheBytes: 20 * 1024 ** 3 };
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ConfigError([`DAGKEEPER_WORKER_INPUT_CACHE_BYTES must be a whole number of bytes above 0, got "${raw}"`]);
  }
  return { inputCacheBytes: value };
}

/** What the CLI needs to reach a running server. */
export interface ClientSettings {
  url: string;
  token: string | undefined;
  /** The admin token a local server wrote on first start; used when no token is given. */
  adminTokenPath: string;
}

export function loadClientSettings(env: Env = process.env, cwd = process.cwd()): ClientSettings {
  const value = (name: string) => (env[name]?.trim() === '' ? undefined : env[name]?.trim());
  return {
    url: (value('DAGKEEPER_URL') ?? `http://127.0.0.1:${value('PORT') ?? '4000'}`).replace(/\/+$/, ''),
    token: value('DAGKEEPER_TOKEN'),
    adminTokenPath: resolve(cwd, value('DAGKEEPER_DATA') ?? '.dagkeeper', 'admin-token'),
  };
}
