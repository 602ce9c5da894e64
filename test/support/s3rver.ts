import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

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

export async function startS3rver(bucket = 'dagkeeper-test'): Promise<S3TestServer> {
  const directory = await mkdtemp(join(tmpdir(), 'dagkeeper-s3rver-'));
  // stdin is a pipe the child watches: it exits when this process does, even without close().
  const child = spawn(process.execPath, [SERVER_SCRIPT, directory, bucket], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  try {
    const port = await readPort(child.stdout);
    return {
      endPoint: '127.0.0.1',
      port,
      // s3rver's built-in account.
      accessKey: 'S3RVER',
      secretKey: 'S3RVER',
      bucket,
      close: async () => {
        child.stdin.end();
        await exited;
        await rm(directory, { recursive: true, force: true });
      },
    };
  } catch (error) {
    child.kill();
    await exited;
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
