import { Pool, errors } from 'undici';
import { idleConnectionMs } from '../net/keepAliveAgent.js';
import { isIdempotentOperation } from './idempotentOperations.js';

/** A small GraphQL-over-HTTP client for the CLI (and the worker): one POST per operation. */

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** The error's `extensions` beyond its code (`missing`, `field`…), when the server sent any. */
    readonly extensions: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } & Record<string, unknown> }>;
}

/** The connection failed before any answer came: the server may have closed a pooled connection as it was reused. */
class NoAnswer extends ApiError {}

/**
 * One keep-alive connection pool per client (undici's): a worker or a claimer pays the client's CPU on
 * every operation, and undici's costs less than half of `http.request`'s per call (measured on loopback,
 * 8 at a time: 45-51 against 113 µs), Node's `fetch` several times more. Idle pooled connections do not
 * keep the process alive.
 *
 * A server closes an idle keep-alive connection when it likes (Node's after 5 s), and a request
 * written onto it as it does fails before any answer. The pool lets idle connections go first (after
 * `idleConnectionMs`, or sooner when the server announces a shorter `Keep-Alive: timeout`); where the
 * race still happens, a request that got no answer is sent once more, on a new pool, when sending it
 * twice is harmless: a query, or mutations that are idempotent by design (idempotentOperations.ts).
 * Anything else fails as UNREACHABLE: the server may have acted on it, and only the caller knows what
 * to do then. So does a request whose answer broke off, and one that got no answer twice.
 */
export class ApiClient {
  readonly endpoint: string;
  private readonly url: URL;
  private pool: Pool;

  constructor(
    baseUrl: string,
    readonly token: string,
  ) {
    this.endpoint = `${baseUrl.replace(/\/+$/, '')}/graphql`;
    this.url = new URL(this.endpoint);
    this.pool = this.newPool();
  }

  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const { status, text } = await this.send(JSON.stringify({ query, variables }), isIdempotentOperation(query));
    let body: GraphQLResponse<T>;
    try {
      body = JSON.parse(text) as GraphQLResponse<T>;
    } catch {
      throw new ApiError('BAD_RESPONSE', `${this.endpoint} answered ${status} with a body that is not JSON`);
    }
    const first = body.errors?.[0];
    if (first !== undefined) throw new ApiError(first.extensions?.code ?? 'UNKNOWN', first.message, first.extensions);
    if (body.data === undefined || body.data === null) {
      throw new ApiError('BAD_RESPONSE', `${this.endpoint} answered ${status} without data`);
    }
    return body.data;
  }

  private async send(payload: string, resendable: boolean): Promise<{ status: number; text: string }> {
    try {
      return await this.post(payload);
    } catch (error) {
      if (!(error instanceof NoAnswer) || !resendable) throw error;
      // The pool's other idle connections are as old: the second try goes on a new one.
      this.replacePool();
      return this.post(payload);
    }
  }

  private newPool(): Pool {
    return new Pool(this.url.origin, {
      keepAliveTimeout: idleConnectionMs,
      keepAliveMaxTimeout: idleConnectionMs,
      // As Node's http.request: an operation may take as long as it takes (a large import, a slow store).
      headersTimeout: 0,
      bodyTimeout: 0,
    });
  }

  private replacePool(): void {
    const stale = this.pool;
    this.pool = this.newPool();
    // Requests still running on the old pool finish there; its idle connections close now.
    void stale.close().catch(() => undefined);
  }

  private async post(payload: string): Promise<{ status: number; text: string }> {
    let answer;
    try {
      answer = await this.pool.request({
        path: this.url.pathname + this.url.search,
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
        body: payload,
      });
    } catch (error) {
      const message = `cannot reach ${this.endpoint}: ${(error as Error).message}`;
      if (error instanceof errors.SocketError) throw new NoAnswer('UNREACHABLE', `${message} (the connection closed before any answer)`);
      throw new ApiError('UNREACHABLE', message);
    }
    try {
      return { status: answer.statusCode, text: await answer.body.text() };
    } catch (error) {
      throw new ApiError('UNREACHABLE', `cannot reach ${this.endpoint}: ${(error as Error).message}`);
    }
  }
}
