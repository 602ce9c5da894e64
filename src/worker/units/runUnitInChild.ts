import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { UnitContext } from '../protocol.js';
import { stopSignals } from './stopSignals.js';

/** `interruptedBy`: the unit (or its program) was ended by a stop signal from outside (see stopSignals), not by a fault of its own. */
export type UnitOutcome =
  { ok: true; outputs: unknown; log: string } | { ok: false; exception: string; traceback: string; log: string; interruptedBy?: string };

const childEntry = fileURLToPath(new URL('./unitProcess.js', import.meta.url));

/** Keeps the last `limit` bytes of a stream of text; what was dropped is noted at the top. */
class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  private dropped = 0;
  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.limit && this.chunks.length > 1) {
      const first = this.chunks.shift() as Buffer;
      this.size -= first.length;
      this.dropped += first.length;
    }
  }

  text(): string {
    const body = Buffer.concat(this.chunks).toString('utf8');
    return this.dropped > 0 ? `[${this.dropped} earlier bytes of output dropped]\n${body}` : body;
  }
}

/**
 * Runs one unit in a child process and captures its stdout and stderr (interleaved, the last
 * `maxLogBytes`). A unit that crashes the process, or is killed by `signal`, is a failed unit.
 *
 * The child leads a process group of its own, which the programs it starts join: `signal` kills the
 * whole group (the `command` protocol's program too, not only the unit process), and the child kills
 * it itself when this worker dies (`dieWithWorker`). Being detached, it also does not receive a
 * terminal's Ctrl-C, which is the worker's to handle (let running units finish).
 */
export function runUnitInChild(
  moduleUrl: string,
  context: UnitContext,
  options: { signal?: AbortSignal; maxLogBytes?: number } = {},
): Promise<UnitOutcome> {
  const log = new TailBuffer(options.maxLogBytes ?? 1024 * 1024);
  const child = fork(childEntry, [String(process.pid)], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    execArgv: [],
    detached: true,
  });
  child.stdout?.on('data', (chunk: Buffer) => log.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => log.push(chunk));
  const killGroup = () => {
    // Until 'exit' the child is not reaped, so its pid still names its group and nothing else.
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  };
  if (options.signal?.aborted === true) killGroup();
  options.signal?.addEventListener('abort', killGroup, { once: true });
  child.once('exit', () => options.signal?.removeEventListener('abort', killGroup));

  return new Promise((resolve) => {
    let reported: UnitOutcome | undefined;
    child.on(
      'message',
      (message: { ok: true; outputs: unknown } | { ok: false; exception: string; traceback: string; interruptedBy?: string }) => {
        reported = message.ok
          ? { ok: true, outputs: message.outputs, log: '' }
          : {
              ok: false,
              exception: message.exception,
              traceback: message.traceback,
              log: '',
              ...(message.interruptedBy === undefined ? {} : { interruptedBy: message.interruptedBy }),
            };
      },
    );
    child.on('error', () => undefined);
    child.on('close', (code, signal) => {
      const text = log.text();
      if (reported !== undefined) {
        resolve({ ...reported, log: text });
        return;
      }
      const how = signal === null ? `exit code ${code}` : `signal ${signal}`;
      resolve({
        ok: false,
        exception: `UnitProcessDied: the unit's process ended (${how}) without a result`,
        traceback: text.slice(-64 * 1024),
        log: text,
        ...(signal !== null && stopSignals.has(signal) ? { interruptedBy: signal } : {}),
      });
    });
    child.send({ moduleUrl, context });
  });
}
