import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { exitOf, isRunning, settlesWithin, stopChild, timedOut, trackChild, trackStoppable } from './leftovers.js';

/**
 * A real S3-protocol server: s3rver on 127.0.0.1, a free port, a fresh directory and one bucket. It
 * speaks enough S3 for the object-store contract, with gaps the contract names where it meets them
 * (see test/storage/objectStore.contract.ts).
 *
 * It runs in a child process: in the test's own process its MD5 passes, disk I/O and garbage would
 * double the time of the 1 GiB round trip and blur the measure of our own memory use.
 */
export interface S3TestServer {
  endPoint: string;
  port: number;
  accessKey: string;
  secretKey: string;
  bucket: string;
  close(): Promise<void>;
}

const SERVER_SCRIPT = fileURLToPath(new URL('./s3rverProcess.mjs', import.meta.url));

export interface S3rverOptions {
  /**
   * How long the server keeps an idle keep-alive connection. s3rver is a Node server, whose default is
   * 5 s; real stores keep them far longer, so the default here is 30 s (test/net/keepAliveAgent.test.ts
   * sets 5 s on purpose).
   */
  keepAliveTimeoutMs?: number;
}

export async function startS3rver(bucket = 'dagkeeper-test', options: S3rverOptions = {}): Promise<S3TestServer> {
  const directory = await mkdtemp(join(tmpdir(), 'dagkeeper-s3rver-'));
  // stdin is a pipe the child watches: it exits when this process does, even without close().
  const child = spawn(process.execPath, [SERVER_SCRIPT, directory, bucket, '0', String(options.keepAliveTimeoutMs ?? 30_000)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  trackChild(child, 's3rver process');
  const exited = exitOf(child);
  try {
    const port = await readPort(child.stdout);
    return {
      endPoint: '127.0.0.1',
      port,
      // s3rver's built-in account.
      accessKey: 'S3RVER',
      secretKey: 'S3RVER',
      bucket,
      close: trackStoppable(
        `s3rver on port ${port}`,
        async () => {
          child.stdin.end();
          if ((await settlesWithin(exited, 10_000)) === timedOut) await stopChild(child);
          await rm(directory, { recursive: true, force: true });
        },
        { running: () => isRunning(child) },
      ),
    };
  } catch (error) {
    await stopChild(child, { signal: 'SIGKILL' });
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
}

async function readPort(stdout: NodeJS.ReadableStream): Promise<number> {
  for await (const line of createInterface({ input: stdout })) {
    const announced: unknown = JSON.parse(line);
    if (typeof announced === 'object' && announced !== null && 'port' in announced && typeof announced.port === 'number') {
      return announced.port;
    }
  }
  throw new Error('s3rver exited before it was listening');
}
