import type { PrismaClient } from './generated/client.js';

/**
 * PGlite is one connection: a transaction holds it until it ends, and Prisma gives up on a transaction
 * that waits more than `maxWait` (2 s) to start (P2028, answered INTERNAL_SERVER_ERROR), which 16
 * concurrent createTasks reached. So on PGlite the client's transactions wait their turn here, in
 * arrival order, and each asks PGlite for the connection only when the one before it has ended:
 * writers queue instead of failing, however long the queue. Statements outside transactions are
 * unchanged (PGlite runs them between transactions).
 */
export function queueTransactions(db: PrismaClient): PrismaClient {
  let last: Promise<unknown> = Promise.resolve();
  const queued = (...args: unknown[]): Promise<unknown> => {
    const turn = last.then(() => (db.$transaction as (...a: unknown[]) => Promise<unknown>)(...args));
    last = turn.catch(() => undefined);
    return turn;
  };
  return new Proxy(db, {
    get(target, property) {
      if (property === '$transaction') return queued;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
