/**
 * Every refusal a client can see carries one of these codes (GraphQL `extensions.code`, or the `code`
 * of a JSON error body on plain HTTP routes). They are part of the public API: never rename one.
 */
export const ErrorCode = {
  /** No bearer token, or one that is unknown, revoked or expired. */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** Authenticated, but this identity may not do this (scope, kind or admin rights). */
  FORBIDDEN: 'FORBIDDEN',
  /** The input is malformed or breaks a rule; nothing was changed. */
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  /** The change collides with what is stored (a duplicate name, a second value for a write-once field). */
  CONFLICT: 'CONFLICT',
  /** The request is larger than the server accepts. */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** The request body did not arrive in time (HTTP 408); the connection is closed. */
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  /**
   * The GraphQL document asks for too much: too deep, too costly, too many aliases, root fields or
   * directives (`extensions.limit` names which). Nothing ran.
   */
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  /** A dependency (database, object store) did not answer; the request may be retried. */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
  /** The task's current status does not allow that change. */
  ILLEGAL_STATUS_TRANSITION: 'ILLEGAL_STATUS_TRANSITION',
  /** Users may set only WAITING, INVALID or DELETED. */
  STATUS_NOT_SETTABLE: 'STATUS_NOT_SETTABLE',
  /** The claim named by a worker's write is no longer its task's current claim: stop working on it. */
  STALE_CLAIM: 'STALE_CLAIM',
  /** The compute service expired or deregistered; register a new one. */
  COMPUTE_SERVICE_GONE: 'COMPUTE_SERVICE_GONE',
  /** The compute service failed too often recently; claims are refused until the failures age out. */
  CLAIMS_SUSPENDED: 'CLAIMS_SUSPENDED',
  /** The uploaded bytes differ from the announced size or SHA-256; nothing was recorded. */
  CHECKSUM_MISMATCH: 'CHECKSUM_MISMATCH',
  /** A `since` cursor older than the oldest kept event: the stream could not be complete; start afresh. */
  CURSOR_EXPIRED: 'CURSOR_EXPIRED',
  /**
   * A reference to an input object (`{":input:": …}` or `{":input-key:": …}`) names nothing in the scope
   * of the network or task: upload it first (`extensions.missing` lists at most 20). A code of its own so a
   * client can tell "send these objects, then submit again" from input that can never be accepted.
   */
  INPUT_NOT_FOUND: 'INPUT_NOT_FOUND',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const unauthenticated = (message = 'a valid bearer token is required') => new DomainError(ErrorCode.UNAUTHENTICATED, message);
export const forbidden = (message: string) => new DomainError(ErrorCode.FORBIDDEN, message);
export const badInput = (message: string, details?: Record<string, unknown>) => new DomainError(ErrorCode.BAD_USER_INPUT, message, details);
export const notFound = (what: string) => new DomainError(ErrorCode.NOT_FOUND, `${what} not found`);
export const conflict = (message: string, details?: Record<string, unknown>) => new DomainError(ErrorCode.CONFLICT, message, details);
