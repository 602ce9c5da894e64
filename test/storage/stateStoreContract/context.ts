import type { CaseWorld } from './caseWorld.js';

export interface ContractContext {
  /** A world of the case's own on the store the cases share. */
  world(): Promise<CaseWorld>;
  /** A world on a fresh store of its own, closed after the case: for cases that move the clock. */
  worldOnOwnStore(): Promise<CaseWorld>;
}
