import type { ComputeServiceRepository } from '../../../domain/compute/ComputeServiceRepository.js';
import type { StateClient } from './stateClient.js';

export class PrismaComputeServiceRepository implements ComputeServiceRepository {
  constructor(protected readonly db: StateClient) {}
}
