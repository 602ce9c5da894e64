import { createReadStream } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isRetryableStatus, TransientTransferError } from './TransientTransferError.js';

/**
 * Uploads ResultFile bytes from disk straight to a presigned (or signed) URL, as a stream: a file of
 * many GB never sits in memory. Plain node:http, because a presigned S3 PUT needs an exact
 * Content-Length, which fetch will not send for a streamed body.
 */

function send(
  url: string,
  method: 'PUT',
  headers: Record<string, string | number>,
): { response: Promise<IncomingMessage>; body: NodeJS.WritableStream } {
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
  return isRetryableStatus(status) ? new TransientTransferError(message) : new Error(message);
}

/** PUTs `size` bytes of a file from `offset`; returns the ETag the store answered with. */
export async function putFileRange(url: string, path: string, offset: number, size: number): Promise<string> {
  const source = size === 0 ? Readable.from([]) : createReadStream(path, { start: offset, end: offset + size - 1 });
  return putStream(url, source, size, path);
}

/** PUTs exactly `size` bytes read from `source` (named `what` in errors); returns the ETag the store answered with. */
export async function putStream(url: string, source: Readable, size: number, what: string): Promise<string> {
  const { response, body } = send(url, 'PUT', { 'content-length': size, 'content-type': 'application/octet-stream' });
  const [answer] = await Promise.all([
    response,
    pipeline(source, body).catch((error: Error) => {
      throw new TransientTransferError(`upload of ${what} broke off: ${error.message}`);
    }),
  ]);
  if ((answer.statusCode ?? 0) >= 300) throw await refusal(answer, 'upload');
  answer.resume();
  return String(answer.headers.etag ?? '');
}
