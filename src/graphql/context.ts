import type { Principal } from '../domain/principal.js';
import type { Services } from '../domain/services.js';
import type { Logger } from '../observability/logger.js';
import { createLoaders } from './loaders.js';
import type { Loaders } from './loaders.js';

/** What every resolver receives, over HTTP and WebSocket alike. */
export interface GraphQLContext {
  principal: Principal;
  services: Services;
  loaders: Loaders;
  log: Logger;
}

export function createContext(principal: Principal, services: Services, log: Logger): GraphQLContext {
  return {
    principal,
    services,
    loaders: createLoaders(services),
    log: log.child({ identityId: principal.identityId, identity: principal.name }),
  };
}
