import { Worker } from 'node:worker_threads';

/**
 * SHA-256 of a file on a thread of its own. Hashing a gigabyte takes about a second of CPU; on the
 * main thread it would take turns with the upload of the same file, on a worker thread the two run
 * side by side. (A download is hashed inline: its chunks would have to be copied to a thread, which
 * measured slower than hashing them where they are.)
 */

// CommonJS, as `eval` workers are: reads the file named in workerData and posts its digest.
const source = `
const { parentPort, workerData } = require('node:worker_threads');
const hash = require('node:crypto').createHash('sha256');
require('node:fs').createReadStream(workerData)
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
    worker.once('message', (reply: Reply) => { digest = reply.digest; });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (digest !== undefined) resolve(digest);
      else reject(new Error(`hashing ${path} stopped (exit code ${code}) without a digest`));
    });
  });
}
