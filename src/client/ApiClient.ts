import { request as httpRequest } from 'node:http';
import type { Agent as HttpAgent } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { keepAliveAgent } from '../net/keepAliveAgent.js';
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

/** The connection failed before any answer came, on a pooled connection the server may have closed. */
class StaleConnection extends ApiError {}

/** How often an idempotent request is sent again after its pooled connection turned out stale. */
const maxResends = 3;

/**
 * One keep-alive connection pool per client. Node's `fetch` costs several times the CPU of
 * `http.request` per call, which a worker or a claimer pays on every operation; idle pooled sockets
 * do not keep the process alive.
 *
 * A server closes an idle keep-alive connection when it likes (Node's after 5 s), and a request
 * written onto it as it does so fails with ECONNRESET or EPIPE before any answer. Such a request is
 * sent again at once, on a new connection, when sending it twice is harmless: a query, or mutations
 * that are idempotent by design (idempotentOperations.ts). Anything else fails as UNREACHABLE: the
 * server may have acted on it, and only the caller knows what to do then.
 */
export class ApiClient {
  readonly endpoint: string;
  private readonly url: URL;
  private readonly agent: HttpAgent;

  constructor(
    baseUrl: string,
    readonly token: string,
  ) {
    this.endpoint = `${baseUrl.replace(/\/+$/, '')}/graphql`;
    this.url = new URL(this.endpoint);
    this.agent = keepAliveAgent(this.url.protocol === 'https:' ? 'https:' : 'http:');
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
    for (let resends = 0; ; resends += 1) {
      try {
        return await this.post(payload);
      } catch (error) {
        if (!(error instanceof StaleConnection) || !resendable || resends >= maxResends) throw error;
        // The pool's other idle connections are as old: the next attempt opens a new one.
        this.closeIdleConnections();
      }
    }
  }

  private closeIdleConnections(): void {
    for (const sockets of Object.values(this.agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
  }

  private post(payload: string): Promise<{ status: number; text: string }> {
    const send = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      let answered = false;
      const unreachable = (error: Error) => reject(new ApiError('UNREACHABLE', `cannot reach ${this.endpoint}: ${error.message}`));
      const request = send(
        this.url,
        {
          method: 'POST',
          agent: this.agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
            authorization: `Bearer ${this.token}`,
          },
        },
        (response) => {
          answered = true;
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          response.on('error', unreachable);
        },
      );
      request.on('error', (error: NodeJS.ErrnoException) => {
        if (!answered && request.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE')) {
          reject(new StaleConnection('UNREACHABLE', `cannot reach ${this.endpoint}: ${error.message} (on a kept-alive connection)`));
        } else {
          unreachable(error);
        }
      });
      request.end(payload);
    });
  }
}
