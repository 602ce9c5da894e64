import type { UnitResultRepository } from '../../../domain/results/UnitResultRepository.js';
import type { StateClient } from './stateClient.js';

export class PrismaUnitResultRepository implements UnitResultRepository {
  constructor(protected readonly db: StateClient) {}
}
