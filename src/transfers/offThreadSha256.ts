import { Worker } from 'node:worker_threads';

/**
 * SHA-256 of a file on a thread of its own. On the main thread hashing would take turns with the
 * upload of the same file; on a worker thread the two run side by side. It reads in 1 MiB chunks:
 * with the stream's default 64 KiB, reading and hashing a gigabyte measured one and a half to two
 * times the CPU, which the upload beside it (and, on a shared node, the store) would go without.
 * (A download is hashed inline: its chunks would have to be copied to a thread, which measured
 * slower than hashing them where they are.)
 */

// CommonJS, as `eval` workers are: reads the file named in workerData and posts its digest.
const source = `
const { parentPort, workerData } = require('node:worker_threads');
const hash = require('node:crypto').createHash('sha256');
require('node:fs').createReadStream(workerData, { highWaterMark: 1024 * 1024 })
  .on('data', (chunk) => hash.update(chunk))
  .on('error', (error) => { throw error; })
  .on('end', () => parentPort.postMessage({ digest: hash.digest('hex') }));
`;

type Reply = { digest: string };

/** The SHA-256 (hex) of a file, read and hashed off the main thread. */
export function sha256OfFileOffThread(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(source, { eval: true, workerData: path });
    let digest: string | undefined;
    worker.once('message', (reply: Reply) => {
      digest = reply.digest;
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (digest !== undefined) resolve(digest);
      else reject(new Error(`hashing ${path} stopped (exit code ${code}) without a digest`));
    });
  });
}
