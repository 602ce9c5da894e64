import type { Principal } from '../domain/principal.js';
import type { Services } from '../domain/services.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { createLoaders } from './loaders.js';
import type { Loaders } from './loaders.js';

/** How large a request the server takes (Query.requestSizeLimits): the transport's cap and the domain's. */
export interface RequestSizeLimits {
  maxRequestBytes: number;
  maxJsonValueBytes: number;
}

/** What every resolver receives, over HTTP and WebSocket alike. */
export interface GraphQLContext {
  principal: Principal;
  services: Services;
  loaders: Loaders;
  log: Logger;
  metrics: Metrics;
  sizeLimits: RequestSizeLimits;
}

export function createContext(
  principal: Principal,
  services: Services,
  metrics: Metrics,
  log: Logger,
  sizeLimits: RequestSizeLimits,
): GraphQLContext {
  return {
    principal,
    services,
    metrics,
    sizeLimits,
    loaders: createLoaders(services),
    log: log.child({ identityId: principal.identityId, identity: principal.name }),
  };
}
