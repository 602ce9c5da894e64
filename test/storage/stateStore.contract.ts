import type { DomainOnStore } from '../support/stateStoreHarness.js';
import { openCaseWorld } from './stateStoreContract/caseWorld.js';
import type { ContractContext } from './stateStoreContract/context.js';
import { describeClaims } from './stateStoreContract/claims.js';
import { describeEvents } from './stateStoreContract/events.js';
import { describeExpiry } from './stateStoreContract/expiry.js';
import { describeHubDraws } from './stateStoreContract/hubDraws.js';
import { describeInputObjects } from './stateStoreContract/inputObjects.js';
import { describeStatusRules } from './stateStoreContract/statusRules.js';
import { describeUnitResultWrites } from './stateStoreContract/unitResultWrites.js';
import { describeUploadSweeper } from './stateStoreContract/uploadSweeper.js';

/**
 * One behavioural contract for every state store, run by each store's test file (PostgreSQL, PGlite):
 * what the domain relies on, observed through the domain services. Cases share one store and keep
 * apart by working in a scope, identities and protocols of their own (see caseWorld.ts); a case that
 * moves the clock gets a store of its own.
 */
export function describeStateStoreContract(name: string, open: () => Promise<DomainOnStore>): void {
  describe(`${name} honours the state store contract`, () => {
    let shared: DomainOnStore | undefined;
    const ownStores: DomainOnStore[] = [];

    beforeAll(async () => {
      shared = await open();
    });
    afterEach(async () => {
      for (const d of ownStores.splice(0)) await d.close();
    });
    afterAll(async () => {
      await shared?.close();
    });

    const context: ContractContext = {
      world: () => {
        if (shared === undefined) throw new Error('the store did not open');
        return openCaseWorld(shared);
      },
      worldOnOwnStore: async () => {
        const d = await open();
        ownStores.push(d);
        return openCaseWorld(d);
      },
    };
    describeClaims(context);
    describeHubDraws(context);
    describeStatusRules(context);
    describeExpiry(context);
    describeUploadSweeper(context);
    describeEvents(context);
    describeInputObjects(context);
    describeUnitResultWrites(context);
  });
}
