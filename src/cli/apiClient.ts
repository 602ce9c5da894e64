import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** A small GraphQL-over-HTTP client for the CLI (and the worker): one POST per operation. */

export class ApiError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/**
 * One keep-alive connection pool per client. Node's `fetch` costs several times the CPU of
 * `http.request` per call, which a worker or a claimer pays on every operation; idle pooled sockets
 * do not keep the process alive.
 */
export class ApiClient {
  readonly endpoint: string;
  private readonly url: URL;
  private readonly agent: HttpAgent;

  constructor(baseUrl: string, readonly token: string) {
    this.endpoint = `${baseUrl.replace(/\/+$/, '')}/graphql`;
    this.url = new URL(this.endpoint);
    this.agent = this.url.protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  }

  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const { status, text } = await this.post(JSON.stringify({ query, variables }));
    let body: GraphQLResponse<T>;
    try {
      body = JSON.parse(text) as GraphQLResponse<T>;
    } catch {
      throw new ApiError('BAD_RESPONSE', `${this.endpoint} answered ${status} with a body that is not JSON`);
    }
    const first = body.errors?.[0];
    if (first !== undefined) throw new ApiError(first.extensions?.code ?? 'UNKNOWN', first.message);
    if (body.data === undefined || body.data === null) {
      throw new ApiError('BAD_RESPONSE', `${this.endpoint} answered ${status} without data`);
    }
    return body.data;
  }

  private post(payload: string): Promise<{ status: number; text: string }> {
    const send = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const unreachable = (error: Error) => reject(new ApiError('UNREACHABLE', `cannot reach ${this.endpoint}: ${error.message}`));
      const request = send(this.url, {
        method: 'POST',
        agent: this.agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          authorization: `Bearer ${this.token}`,
        },
      }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', unreachable);
      });
      request.on('error', unreachable);
      request.end(payload);
    });
  }
}
