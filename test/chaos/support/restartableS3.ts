import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { S3ObjectStore } from '../../../src/storage/objects/S3ObjectStore.js';
import { trackChild } from '../../support/leftovers.js';

const serverScript = fileURLToPath(new URL('../../support/s3rverProcess.mjs', import.meta.url));
const bucket = 'dagkeeper-chaos';

/**
 * s3rver in a child process that can be killed (the store is unreachable: connections are refused)
 * and started again on the same port over the same directory, so every object written before is back.
 */
export interface RestartableS3 {
  /** The environment that points a dagkeeper server at this store. */
  serverEnv: Record<string, string>;
  /** A client of this store for the test's own checks. */
  store: S3ObjectStore;
  kill(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startRestartableS3(): Promise<RestartableS3> {
  const directory = await mkdtemp(join(tmpdir(), 'dagkeeper-chaos-s3-'));
  let child: ChildProcess | undefined;
  const launch = async (port: number): Promise<number> => {
    const started = spawn(process.execPath, [serverScript, directory, bucket, String(port)], { stdio: ['pipe', 'pipe', 'inherit'] });
    child = started;
    trackChild(started, 's3rver process (restartable)');
    for await (const line of createInterface({ input: started.stdout })) {
      const announced = JSON.parse(line) as { port?: unknown };
      if (typeof announced.port === 'number') return announced.port;
    }
    throw new Error('s3rver exited before it was listening');
  };
  const kill = async () => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, 'exit');
    running.kill('SIGKILL');
    await exited;
  };
  const port = await launch(0);
  return {
    serverEnv: {
      S3_ENDPOINT: `http://127.0.0.1:${port}`,
      S3_ACCESS_KEY: 'S3RVER',
      S3_SECRET_KEY: 'S3RVER',
      S3_BUCKET: bucket,
    },
    store: new S3ObjectStore({ endPoint: '127.0.0.1', port, useSSL: false, accessKey: 'S3RVER', secretKey: 'S3RVER', bucket }),
    kill,
    start: async () => {
      await launch(port);
    },
    close: async () => {
      await kill();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
