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
    // A small body usually arrives as one chunk: kept as it is, and concatenated only when there are more.
    let first: Buffer | undefined;
    let rest: Buffer[] | undefined;
    let size = 0;
    let settled = false;
    const stop = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      req.off('data', onData);
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        if (first === undefined) first = chunk;
        else (rest ??= [first]).push(chunk);
        return;
      }
      stop(new BodyTooLargeError(limit));
      req.resume();
    };
    const deadline = setTimeout(() => stop(new BodyTimeoutError(timeoutMs)), timeoutMs);
    req.on('data', onData);
    req.once('end', () => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      const body = rest === undefined ? first : Buffer.concat(rest, size);
      resolve(body === undefined ? '' : body.toString('utf8'));
    });
    req.once('error', stop);
    // A client gone before the end of its body: settle instead of waiting forever. Every request closes,
    // so the error (and its stack trace) is made only when the body is still being waited for.
    req.once('close', () => {
      if (!settled) stop(new Error('the request was closed before its body was read'));
    });
  });
}
