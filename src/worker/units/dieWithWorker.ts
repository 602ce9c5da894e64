import { Worker } from 'node:worker_threads';

/**
 * Makes a unit process, and every process it started, die when its worker dies — even by SIGKILL,
 * which the worker cannot react to. Node has no prctl(PR_SET_PDEATHSIG), so the unit process watches
 * for itself, two ways:
 *
 * - its IPC channel closing ('disconnect'), which is immediate but needs the main thread's event
 *   loop, and a JavaScript unit may keep that busy for hours;
 * - a thread of its own that asks every `pollMs` whether its parent is still the worker (a dead
 *   worker's children are re-parented to init or a subreaper), whatever the main thread is doing.
 *
 * Either way it SIGKILLs its own process group: `runUnitInChild` starts the unit process as the
 * leader of a new group, which the programs it spawns (the `command` protocol's, and theirs) join
 * unless they leave it on purpose.
 */
export function dieWithWorker(workerPid: number, pollMs = 250): void {
  process.once('disconnect', killOwnProcessGroup);
  const watcher = new Worker(watcherSource, { eval: true, workerData: { workerPid, pollMs } });
  // The watcher must never be what keeps a finished unit process alive.
  watcher.unref();
}

// CommonJS, as `eval` threads are. `process.ppid` is read live on every access.
const watcherSource = `
const { workerData } = require('node:worker_threads');
const check = () => {
  if (process.ppid === workerData.workerPid) return;
  try { process.kill(-process.pid, 'SIGKILL'); } catch { process.kill(process.pid, 'SIGKILL'); }
};
check();
setInterval(check, workerData.pollMs);
`;

function killOwnProcessGroup(): void {
  try {
    process.kill(-process.pid, 'SIGKILL');
  } catch {
    // Not a group leader (started by something other than runUnitInChild): at least this process goes.
    process.kill(process.pid, 'SIGKILL');
  }
}
