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

export class ApiClient {
  readonly endpoint: string;

  constructor(baseUrl: string, readonly token: string) {
    this.endpoint = `${baseUrl.replace(/\/+$/, '')}/graphql`;
  }

  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
        body: JSON.stringify({ query, variables }),
      });
    } catch (error) {
      const reason = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
      throw new ApiError('UNREACHABLE', `cannot reach ${this.endpoint}: ${reason}`);
    }
    const text = await response.text();
    let body: GraphQLResponse<T>;
    try {
      body = JSON.parse(text) as GraphQLResponse<T>;
    } catch {
      throw new ApiError('BAD_RESPONSE', `${this.endpoint} answered ${response.status} with a body that is not JSON`);
    }
    const first = body.errors?.[0];
    if (first !== undefined) throw new ApiError(first.extensions?.code ?? 'UNKNOWN', first.message);
    if (body.data === undefined || body.data === null) {
      throw new ApiError('BAD_RESPONSE', `${this.endpoint} answered ${response.status} without data`);
    }
    return body.data;
  }
}
