import type { StateTx } from '../../src/storage/state/openStateStore.js';

/**
 * The text and parameters of the one statement `query` sends, captured instead of run (a client that
 * answers every statement with no rows): for running it under EXPLAIN exactly as the code writes it.
 */
export async function statementSent(query: (tx: StateTx) => Promise<unknown>): Promise<{ text: string; values: unknown[] }> {
  let captured: { text: string; values: unknown[] } | undefined;
  const recorder = {
    $queryRawUnsafe: (text: string, ...values: unknown[]) => {
      captured = { text, values };
      return Promise.resolve([]);
    },
  } as unknown as StateTx;
  await query(recorder);
  if (captured === undefined) throw new Error('the query sent no statement');
  return captured;
}
