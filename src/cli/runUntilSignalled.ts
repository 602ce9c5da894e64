import type { Logger } from '../observability/logger.js';

/**
 * Runs a long-lived loop (a worker, a compute manager) until it ends; SIGTERM or SIGINT asks it to
 * stop, which it does in its own way (`how` says what that is, in the log).
 */
export async function runUntilSignalled(loop: { run(): Promise<void>; stop(): void }, log: Logger, how: string): Promise<void> {
  const onSignal = (signal: NodeJS.Signals) => {
    log.info({ signal }, `stop requested: ${how}`);
    loop.stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  await loop.run();
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
}
