import { ApiError } from './ApiClient.js';
import type { ApiClient } from './ApiClient.js';

/** How large a request the server takes (Query.requestSizeLimits). */
export interface RequestSizeLimits {
  /** Bytes of one GraphQL request body: DAGKEEPER_MAX_REQUEST_BYTES. */
  maxRequestBytes: number;
  /** Bytes of JSON of one inline components or settings value. */
  maxJsonValueBytes: number;
}

/** The server's defaults, assumed of a server too old to say. */
export const DEFAULT_REQUEST_SIZE_LIMITS: RequestSizeLimits = { maxRequestBytes: 1024 * 1024, maxJsonValueBytes: 1024 * 1024 };

/** The server's caps; its defaults when it predates Query.requestSizeLimits (the field fails validation). */
export async function requestSizeLimits(api: ApiClient): Promise<RequestSizeLimits> {
  try {
    const { requestSizeLimits: limits } = await api.request<{ requestSizeLimits: RequestSizeLimits }>(
      '{ requestSizeLimits { maxRequestBytes maxJsonValueBytes } }',
    );
    return limits;
  } catch (error) {
    if (error instanceof ApiError && error.code === 'GRAPHQL_VALIDATION_FAILED') return DEFAULT_REQUEST_SIZE_LIMITS;
    throw error;
  }
}
