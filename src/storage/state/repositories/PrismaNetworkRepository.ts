import type { NetworkRepository } from '../../../domain/networks/NetworkRepository.js';
import type { StateClient } from './stateClient.js';

export class PrismaNetworkRepository implements NetworkRepository {
  constructor(protected readonly db: StateClient) {}
}
