// Preloaded (`node --import`) into the dagkeeper processes the tests start (test/support/nodeProcess.ts):
// their stdin is a pipe from the test process, and when it closes — the test process ended, however it
// ended, even by SIGKILL — this process ends at once, instead of running on as an orphan. At once, by
// SIGKILL: the test that wanted it is gone, and a graceful exit can hang once the pipes it logs to are
// gone with their reader (a server's did, in process.exit).
// Nothing happens when stdin is not a pipe (a terminal, /dev/null): only a test process sets this up.
import { fstatSync } from 'node:fs';

const stdin = fstatSync(0);
if (stdin.isFIFO() || stdin.isSocket()) {
  process.stdin.on('end', () => process.kill(process.pid, 'SIGKILL'));
  process.stdin.resume();
  // Watching stdin must not keep a process alive that would otherwise exit.
  process.stdin.unref();
}
