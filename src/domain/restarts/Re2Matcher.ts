import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Restart patterns run on RE2 (re2js): matching takes time linear in the text, so no pattern can make
 * a traceback take exponential time, as `(a+)+$` did with the backtracking RegExp. Linear is not
 * cheap, though: it is text length × pattern size, and a 4 MiB traceback against a large pattern
 * measured from 0.4 s to over a minute. So matching runs on a thread of its own, never on the event
 * loop that answers requests, one pattern at a time under a time budget: a pattern over its budget
 * has its thread ended and counts as not matching.
 */

export type PatternOutcome =
  | { outcome: 'match' }
  | { outcome: 'no match' }
  /** The engine cannot compile it (a pattern stored before patterns were RE2). */
  | { outcome: 'invalid'; message: string }
  | { outcome: 'timed out'; budgetMs: number }
  /** The thread died under it (out of memory, say). */
  | { outcome: 'failed'; message: string };

export interface Re2MatcherOptions {
  /** How long one pattern may take against all the texts of one failure. */
  patternBudgetMs?: number;
  /** An idle thread is ended after this long; the next match starts another. */
  idleMs?: number;
}

type ThreadReply = { outcome: 'compiled' } | { outcome: 'match' } | { outcome: 'no match' } | { outcome: 'invalid'; message: string };
type Request = { kind: 'compile'; pattern: string } | { kind: 'match'; pattern: string };
type Answer = ThreadReply | { outcome: 'timed out'; budgetMs: number } | { outcome: 'failed'; message: string };

// CommonJS, as `eval` workers are. Holds the texts of the current job; answers one request at a time.
const threadSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { RE2JS } = require(workerData.engine);
let texts = [];
parentPort.on('message', (message) => {
  if (message.kind === 'texts') { texts = message.texts; return; }
  let compiled;
  try { compiled = RE2JS.compile(message.pattern); }
  catch (error) { parentPort.postMessage({ outcome: 'invalid', message: String((error && error.message) || error) }); return; }
  if (message.kind === 'compile') { parentPort.postMessage({ outcome: 'compiled' }); return; }
  parentPort.postMessage({ outcome: texts.some((text) => compiled.matcher(text).find()) ? 'match' : 'no match' });
});
`;

const enginePath = createRequire(import.meta.url).resolve('re2js');

/** One matching thread, started when needed; jobs queue for it one after another. */
export class Re2Matcher {
  private readonly patternBudgetMs: number;
  private readonly idleMs: number;
  private thread: Worker | undefined;
  /** The job whose texts the current thread holds. */
  private textsOf: object | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(options: Re2MatcherOptions = {}) {
    this.patternBudgetMs = options.patternBudgetMs ?? 10_000;
    this.idleMs = options.idleMs ?? 30_000;
  }

  /** Null when RE2 compiles the pattern, else the engine's reason (which names the construct). */
  compileError(pattern: string): Promise<string | null> {
    return this.enqueue(async () => {
      const reply = await this.ask({ kind: 'compile', pattern });
      if (reply.outcome === 'invalid') return reply.message;
      if (reply.outcome === 'timed out') return `compiling it took longer than ${reply.budgetMs} ms`;
      if (reply.outcome === 'failed') return `compiling it failed: ${reply.message}`;
      return null;
    });
  }

  /**
   * Tries the patterns in order, each against every text, and stops at the first that matches any.
   * Returns one outcome per pattern tried.
   */
  firstMatch(patterns: readonly string[], texts: readonly string[]): Promise<PatternOutcome[]> {
    if (patterns.length === 0) return Promise.resolve([]);
    return this.enqueue(async () => {
      const job = {};
      const outcomes: PatternOutcome[] = [];
      try {
        for (const pattern of patterns) {
          const thread = this.threadNow();
          if (this.textsOf !== job) {
            thread.postMessage({ kind: 'texts', texts });
            this.textsOf = job;
          }
          const reply = await this.ask({ kind: 'match', pattern });
          outcomes.push(reply.outcome === 'compiled' ? { outcome: 'failed', message: 'the thread compiled instead of matching' } : reply);
          if (reply.outcome === 'match') break;
        }
      } finally {
        if (this.textsOf === job) {
          this.thread?.postMessage({ kind: 'texts', texts: [] });
          this.textsOf = undefined;
        }
      }
      return outcomes;
    });
  }

  /** Ends the thread at once (at shutdown, once requests are drained); a match still running fails. */
  async close(): Promise<void> {
    this.closed = true;
    await this.endThread();
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job, job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private threadNow(): Worker {
    clearTimeout(this.idleTimer);
    if (this.closed) throw new Error('the restart pattern matcher is closed');
    if (this.thread === undefined) {
      this.thread = new Worker(threadSource, { eval: true, workerData: { engine: enginePath } });
      this.thread.on('error', () => undefined);
    }
    return this.thread;
  }

  /** Sends one request and waits for its reply, its budget, or the thread's death. */
  private ask(request: Request): Promise<Answer> {
    const thread = this.threadNow();
    thread.ref();
    return new Promise((resolve) => {
      const settle = (reply: Answer) => {
        clearTimeout(timer);
        thread.off('message', onMessage);
        thread.off('exit', onExit);
        thread.off('error', onError);
        if (this.thread === thread) {
          thread.unref();
          this.idleTimer = setTimeout(() => void this.endThread(), this.idleMs);
          this.idleTimer.unref();
        }
        resolve(reply);
      };
      const onMessage = (reply: ThreadReply) => settle(reply);
      let lastError = 'the matching thread exited';
      const onError = (error: Error) => {
        lastError = error.message;
      };
      const onExit = () => {
        this.forget(thread);
        settle({ outcome: 'failed', message: lastError });
      };
      const timer = setTimeout(() => {
        this.forget(thread);
        void thread.terminate();
        settle({ outcome: 'timed out', budgetMs: this.patternBudgetMs });
      }, this.patternBudgetMs);
      thread.on('message', onMessage);
      thread.on('error', onError);
      thread.on('exit', onExit);
      thread.postMessage(request);
    });
  }

  private forget(thread: Worker): void {
    if (this.thread !== thread) return;
    this.thread = undefined;
    this.textsOf = undefined;
  }

  private async endThread(): Promise<void> {
    clearTimeout(this.idleTimer);
    const thread = this.thread;
    if (thread === undefined) return;
    this.forget(thread);
    await thread.terminate();
  }
}
