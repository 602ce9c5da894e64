// The child process one unit runs in: imports the protocol module, runs the unit, reports back over
// IPC and exits. Keeping units out of the worker's process keeps its event loop (and so its
// heartbeat) free however hard a unit computes. It dies with its worker (argv[2] is the worker's pid).
import type { Protocol, UnitContext } from '../protocol.js';
import { dieWithWorker } from './dieWithWorker.js';
import { stopSignals } from './stopSignals.js';

interface RunRequest {
  moduleUrl: string;
  context: UnitContext;
}

function report(message: unknown): void {
  process.send?.(message, () => process.exit(0));
}

dieWithWorker(Number(process.argv[2]));

process.once('message', (request: RunRequest) => {
  void (async () => {
    try {
      const module = (await import(request.moduleUrl)) as { default: Protocol };
      const outputs = await module.default.runUnit(request.context);
      // Outputs travel as JSON; anything that does not survive the trip is refused here, not later.
      report({ ok: true, outputs: JSON.parse(JSON.stringify(outputs ?? null)) as unknown });
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      // The `command` protocol's program stopped by a signal meant for the whole job (see stopSignals).
      const signal = (failure as { signal?: unknown }).signal;
      const interruptedBy = typeof signal === 'string' && stopSignals.has(signal) ? { interruptedBy: signal } : {};
      report({
        ok: false,
        exception: `${failure.name}: ${failure.message}`,
        traceback: failure.stack ?? String(failure),
        ...interruptedBy,
      });
    }
  })();
});
