import type { IdentityRepository } from '../../../domain/identities/IdentityRepository.js';
import type { StateClient } from './stateClient.js';

export class PrismaIdentityRepository implements IdentityRepository {
  constructor(protected readonly db: StateClient) {}
}
