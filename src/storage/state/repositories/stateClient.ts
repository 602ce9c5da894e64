import type { StateDb, StateTx } from '../openStateStore.js';

/** What a repository runs its statements on: the client, or the client inside one transaction. */
export type StateClient = StateDb | StateTx;
