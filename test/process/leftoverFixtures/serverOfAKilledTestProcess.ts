// Run by test/process/leftovers.test.ts as a stand-in for a jest worker (node --import tsx): starts a
// dagkeeper server the way tests do, prints its pid, and waits to be killed.
import { startServerProcess } from '../../support/serverProcess.js';

const server = await startServerProcess(process.argv[2]!);
process.stdout.write(`${JSON.stringify({ serverPid: server.child.pid })}\n`);
setInterval(() => undefined, 60_000);
