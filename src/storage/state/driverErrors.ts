import { conflict, DomainError, ErrorCode, notFound } from '../../domain/errors.js';
import { Prisma } from './generated/client.js';

/**
 * One table from database driver errors to domain errors, so callers never branch on Prisma codes.
 * Codes: https://www.prisma.io/docs/orm/reference/error-reference
 */
const byPrismaCode: Record<string, (error: Prisma.PrismaClientKnownRequestError) => DomainError> = {
  P2002: (error) => conflict('an object with these unique fields already exists', { target: error.meta?.target }),
  P2025: () => notFound('record'),
  P2034: () => new DomainError(ErrorCode.SERVICE_UNAVAILABLE, 'transaction conflicted with another; retry'),
};

/**
 * A store could not be reached, or went away mid-request: nothing the client did, and worth a retry
 * in a moment. Each way the drivers say so, wherever it shows up in the error (see unavailable).
 */
const unreachable = {
  /** Prisma: can't reach the server (P1001), timed out (P1002, P1008), connection closed (P1017), no pooled connection in time (P2024), too many connections (P2037). */
  prismaCodes: new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2037']),
  /** Prisma's driver adapters (`DriverAdapterError.cause.kind`). */
  adapterKinds: new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']),
  /**
   * PostgreSQL SQLSTATEs: class 08 (connection exception), 57P01 admin shutdown (a stopping server ends
   * every session), 57P02 crash shutdown, 57P03 cannot connect now (starting up or shutting down), 53300 too many connections.
   */
  sqlStates: /^(08[0-9A-Z]{3}|57P0[123]|53300)$/,
  /** Node's socket errors, as pg raises them. */
  socketCodes: new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']),
  /** pg's own words for a connection lost or not obtained; these errors carry no code. */
  messages:
    /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error and is not queryable|Client was closed and is not queryable)/,
};

/** Seconds a client is told to wait (Retry-After) before retrying a request refused SERVICE_UNAVAILABLE. */
export const retryAfterSeconds = 1;

/**
 * SERVICE_UNAVAILABLE if `error` says a store is unreachable or went away (by any of the ways in
 * `unreachable`, looked for in the error, its `cause` chain and Prisma's wrapped adapter error),
 * otherwise undefined.
 */
export function unavailable(error: unknown): DomainError | undefined {
  for (const link of errorChain(error)) {
    if (says(link)) {
      return new DomainError(ErrorCode.SERVICE_UNAVAILABLE, 'a store the server depends on is not answering; retry in a moment');
    }
  }
  return undefined;
}

/** The error and every error behind it: its `cause` chain and Prisma's wrapped adapter error, each once. */
function* errorChain(error: unknown): Generator<Record<string, unknown>> {
  const seen = new Set<unknown>();
  const pending: unknown[] = [error];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next !== 'object' || next === null || seen.has(next)) continue;
    seen.add(next);
    yield next as Record<string, unknown>;
    const { cause, meta } = next as { cause?: unknown; meta?: { driverAdapterError?: unknown } };
    pending.push(cause, meta?.driverAdapterError);
  }
}

function says(error: Record<string, unknown>): boolean {
  if (error instanceof Prisma.PrismaClientInitializationError) return true;
  const { code, kind, originalCode, message } = error;
  if (error instanceof Prisma.PrismaClientKnownRequestError) return unreachable.prismaCodes.has(error.code);
  if (typeof kind === 'string' && unreachable.adapterKinds.has(kind)) return true;
  if (typeof originalCode === 'string' && unreachable.sqlStates.test(originalCode)) return true;
  if (typeof code === 'string' && (unreachable.socketCodes.has(code) || unreachable.sqlStates.test(code))) return true;
  return typeof message === 'string' && unreachable.messages.test(message);
}

/**
 * PostgreSQL refused a value the domain let through: a text with a character it cannot store (NUL:
 * 22021, or one the database's encoding lacks: 22P05). The domain checks the texts it knows of; this
 * turns any other into the client's mistake it is (BAD_USER_INPUT) instead of an internal error.
 */
const unstorableValueStates = new Set(['22021', '22P05']);

export function unstorableValue(error: unknown): DomainError | undefined {
  const state = sqlStateOf(error);
  if (state === undefined || !unstorableValueStates.has(state)) return undefined;
  return new DomainError(
    ErrorCode.BAD_USER_INPUT,
    'a text holds a character that cannot be stored (NUL, or one the database encoding lacks)',
  );
}

/**
 * PostgreSQL refused the statement for a value in it (SQLSTATE class 22, data exception, or 23,
 * integrity constraint violation): the same statement without that value may pass, unlike one that
 * failed because the database is unreachable, busy or shutting down.
 */
export function refusedAValue(error: unknown): boolean {
  const state = sqlStateOf(error);
  return state !== undefined && /^2[23]/.test(state);
}

/** The SQLSTATE in a driver error, wherever pg, Prisma or its adapter put it (the error, its cause chain, Prisma's wrapped adapter error). */
function sqlStateOf(error: unknown): string | undefined {
  for (const { code, originalCode } of errorChain(error)) {
    for (const candidate of [originalCode, code]) {
      if (typeof candidate === 'string' && /^[0-9A-Z]{5}$/.test(candidate) && !/^P\d{4}$/.test(candidate)) return candidate;
    }
  }
  return undefined;
}

export function toDomainError(error: unknown): unknown {
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    const mapped = byPrismaCode[error.code]?.(error);
    if (mapped !== undefined) return mapped;
  }
  return unavailable(error) ?? error;
}

export async function mapDriverErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toDomainError(error);
  }
}
