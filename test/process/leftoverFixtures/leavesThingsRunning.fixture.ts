// Run by test/process/leftovers.test.ts in a jest of its own: a test file that leaves things running.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { trackChild, trackServer } from '../../support/leftovers.js';

const report = process.env.LEFTOVERS_REPORT!;
const note = (what: Record<string, unknown>) => appendFile(report, `${JSON.stringify(what)}\n`);

/** A node child that says "ready" once `script` has run. */
async function startChild(label: string, script: string, ...args: string[]) {
  const child = spawn(process.execPath, ['-e', `${script}; console.log('ready')`, ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
  trackChild(child, label);
  for await (const line of createInterface({ input: child.stdout })) if (line === 'ready') break;
  return child;
}

test('starts a child that ignores SIGTERM, a paused child and a server, and stops none of them', async () => {
  const stubborn = await startChild('a child that ignores SIGTERM', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)");
  const paused = await startChild(
    'a paused child',
    "process.on('SIGTERM', () => { require('node:fs').writeFileSync(process.argv[1], 'SIGTERM'); process.exit(0); }); setInterval(() => {}, 1000)",
    `${report}.paused`,
  );
  paused.kill('SIGSTOP');
  const server = createServer((_req, res) => res.end('still here'));
  trackServer(server, 'a listening http server');
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  await note({ stubborn: stubborn.pid, paused: paused.pid, port: (server.address() as AddressInfo).port });
});

test('times out while its child runs', async () => {
  const child = await startChild('the child of a test that timed out', 'setInterval(() => {}, 1000)');
  await note({ timedOut: child.pid });
  await new Promise(() => undefined);
}, 2_000);
