import type { DagResultRepository } from '../../../domain/results/DagResultRepository.js';
import type { StateClient } from './stateClient.js';

export class PrismaDagResultRepository implements DagResultRepository {
  constructor(protected readonly db: StateClient) {}
}
