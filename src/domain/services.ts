import type { IdentityService } from './identities/IdentityService.js';

/** The domain services a transport (GraphQL over HTTP or WebSocket, the CLI) may call. */
export interface Services {
  identities: IdentityService;
}
