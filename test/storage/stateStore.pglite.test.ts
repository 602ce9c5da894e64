import { openDomainOn } from '../support/stateStoreHarness.js';
import { describeStateStoreContract } from './stateStore.contract.js';

describeStateStoreContract('PGlite (a folder of its own)', () => openDomainOn('pglite'));
