import type { ClaimRepository } from '../../../domain/claims/ClaimRepository.js';
import type { StateClient } from './stateClient.js';

export class PrismaClaimRepository implements ClaimRepository {
  constructor(protected readonly db: StateClient) {}
}
