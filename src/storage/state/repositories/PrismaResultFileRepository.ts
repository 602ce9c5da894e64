import type { ResultFileRepository } from '../../../domain/results/ResultFileRepository.js';
import type { StateClient } from './stateClient.js';

export class PrismaResultFileRepository implements ResultFileRepository {
  constructor(protected readonly db: StateClient) {}
}
