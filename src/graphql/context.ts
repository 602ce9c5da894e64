import type { Principal } from '../domain/principal.js';
import type { Services } from '../domain/services.js';
import { lazyChildLogger } from '../observability/lazyChildLogger.js';
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
  return new RequestContext(principal, services, metrics, log, sizeLimits);
}

/**
 * A context whose loaders and logger are made on first use: most requests need neither (a claim uses
 * no loader, and at the usual levels logs no line), and making them for every request cost more than
 * a claim's own bookkeeping. A class, so that the getter lives on its prototype rather than being
 * defined on each context. Apollo Server runs each operation on a shallow copy of the context (own
 * properties, same prototype), so what is made later lives in a box the copies share.
 */
class RequestContext implements GraphQLContext {
  readonly log: Logger;
  private readonly made: { loaders: Loaders | undefined } = { loaders: undefined };

  constructor(
    readonly principal: Principal,
    readonly services: Services,
    readonly metrics: Metrics,
    log: Logger,
    readonly sizeLimits: RequestSizeLimits,
  ) {
    this.log = lazyChildLogger(log, () => ({ identityId: principal.identityId, identity: principal.name }));
  }

  get loaders(): Loaders {
    return (this.made.loaders ??= createLoaders(this.services));
  }
}
