import type { Principal } from '../domain/principal.js';
import type { Services } from '../domain/services.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { createLoaders } from './loaders.js';
import type { Loaders } from './loaders.js';

/** What every resolver receives, over HTTP and WebSocket alike. */
export interface GraphQLContext {
  principal: Principal;
  services: Services;
  loaders: Loaders;
  log: Logger;
  metrics: Metrics;
}

export function createContext(principal: Principal, services: Services, metrics: Metrics, log: Logger): GraphQLContext {
  return {
    principal,
    services,
    metrics,
    loaders: createLoaders(services),
    log: log.child({ identityId: principal.identityId, identity: principal.name }),
  };
}
