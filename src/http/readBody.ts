import type { IncomingMessage } from 'node:http';

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body is larger than ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

export class BodyTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`the request body did not arrive within ${timeoutMs} ms`);
    this.name = 'BodyTimeoutError';
  }
}

/**
 * Reads a request body up to `limit` bytes, all of it within `timeoutMs` (a client trickling its body
 * would otherwise hold a connection and a pending request for as long as it likes); refuses early on a
 * larger Content-Length. Past the limit the rest is read and dropped rather than the request destroyed:
 * destroying it resets the connection, and the client may never see the refusal. Either way the caller
 * answers with `Connection: close`.
 */
export async function readBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLargeError(limit);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (error: Error) => {
      clearTimeout(deadline);
      req.off('data', onData);
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      stop(new BodyTooLargeError(limit));
      req.resume();
    };
    const deadline = setTimeout(() => stop(new BodyTimeoutError(timeoutMs)), timeoutMs);
    req.on('data', onData);
    req.once('end', () => {
      clearTimeout(deadline);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.once('error', stop);
    // A client gone before the end of its body: settle instead of waiting forever (no-op after 'end').
    req.once('close', () => stop(new Error('the request was closed before its body was read')));
  });
}
