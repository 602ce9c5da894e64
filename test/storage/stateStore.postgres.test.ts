import { openDomainOn } from '../support/stateStoreHarness.js';
import { describeStateStoreContract } from './stateStore.contract.js';

describeStateStoreContract('PostgreSQL (a database of its own)', () => openDomainOn('postgres'));
