import DataLoader from 'dataloader';
import type { TokenRecord } from '../domain/identities/IdentityService.js';
import type { Services } from '../domain/services.js';

/** Per-request batching: a list of N identities costs one query per field, not N. */
export interface Loaders {
  scopesOfIdentity: DataLoader<string, string[]>;
  tokensOfIdentity: DataLoader<string, TokenRecord[]>;
}

export function createLoaders(services: Services): Loaders {
  return {
    scopesOfIdentity: new DataLoader(async (ids) => {
      const byId = await services.identities.scopesOf(ids);
      return ids.map((id) => byId.get(id) ?? []);
    }),
    tokensOfIdentity: new DataLoader(async (ids) => {
      const byId = await services.identities.tokensOf(ids);
      return ids.map((id) => byId.get(id) ?? []);
    }),
  };
}
