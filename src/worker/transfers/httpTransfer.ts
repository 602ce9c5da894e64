import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TransientTransferError } from '../retry.js';

/**
 * Moving ResultFile bytes straight between the worker's disk and presigned (or signed) URLs, as
 * streams: a file of many GB never sits in memory. Plain node:http, because a presigned S3 PUT needs
 * an exact Content-Length, which fetch will not send for a streamed body.
 */

function send(url: string, method: 'GET' | 'PUT', headers: Record<string, string | number>): { response: Promise<IncomingMessage>; body: NodeJS.WritableStream } {
  const target = new URL(url);
  const request = (target.protocol === 'https:' ? httpsRequest : httpRequest)(target, { method, headers });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    request.on('response', resolve);
    request.on('error', (error) => reject(new TransientTransferError(`${method} ${target.host}: ${error.message}`)));
  });
  return { response, body: request };
}

async function refusal(response: IncomingMessage, what: string): Promise<Error> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').slice(0, 500);
  const status = response.statusCode ?? 0;
  const message = `${what} answered ${status}: ${text}`;
  return status >= 500 || status === 408 || status === 429 ? new TransientTransferError(message) : new Error(message);
}

/** PUTs `size` bytes of a file from `offset`; returns the ETag the store answered with. */
export async function putFileRange(url: string, path: string, offset: number, size: number): Promise<string> {
  const { response, body } = send(url, 'PUT', { 'content-length': size, 'content-type': 'application/octet-stream' });
  const source = size === 0 ? Readable.from([]) : createReadStream(path, { start: offset, end: offset + size - 1 });
  const [answer] = await Promise.all([response, pipeline(source, body).catch((error: Error) => {
    throw new TransientTransferError(`upload of ${path} broke off: ${error.message}`);
  })]);
  if ((answer.statusCode ?? 0) >= 300) throw await refusal(answer, 'upload');
  answer.resume();
  return String(answer.headers.etag ?? '');
}

/**
 * Streams a URL to `destination`, hashing as it goes; the file appears (by rename) only when the
 * bytes are complete and their SHA-256 matches.
 */
export async function downloadFile(url: string, destination: string, expectedSha256: string): Promise<void> {
  await mkdir(dirname(destination), { recursive: true });
  const { response, body } = send(url, 'GET', {});
  body.end();
  const answer = await response;
  if ((answer.statusCode ?? 0) >= 300) throw await refusal(answer, 'download');
  const partial = `${destination}.part`;
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(answer, hashing, createWriteStream(partial));
  } catch (error) {
    await rm(partial, { force: true });
    throw new TransientTransferError(`download to ${destination} broke off: ${(error as Error).message}`);
  }
  const actual = hash.digest('hex');
  if (actual !== expectedSha256) {
    await rm(partial, { force: true });
    throw new Error(`downloaded ${destination} has SHA-256 ${actual}, expected ${expectedSha256}`);
  }
  await rename(partial, destination);
}
