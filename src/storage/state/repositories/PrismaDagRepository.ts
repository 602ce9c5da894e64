import type { DagRepository } from '../../../domain/dag/DagRepository.js';
import type { StateClient } from './stateClient.js';

export class PrismaDagRepository implements DagRepository {
  constructor(protected readonly db: StateClient) {}
}
