import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { ErrorCode } from '../domain/errors.js';
import { sendJson } from './jsonResponse.js';

/**
 * Watches a request whose body is streamed (an upload through a signed object URL, possibly gigabytes,
 * so no whole-body deadline fits): when no byte of it arrives for `idleMs` while the server is ready to
 * read more, the request is answered 408 REQUEST_TIMEOUT and its connection closed. Time the server
 * itself is not reading (its buffer full, e.g. a slow disk) does not count as the client's silence.
 * Progress is read from the socket's byte count, so the watch never consumes the body it watches.
 */
export function closeStalledBody(req: IncomingMessage, res: ServerResponse, idleMs: number): void {
  if (req.complete) return;
  const socket = req.socket;
  let bytesSeen = socket.bytesRead;
  let heardAt = performance.now();
  const timer = setInterval(
    () => {
      if (req.complete) {
        stop();
        return;
      }
      const now = performance.now();
      const waitingForUs = req.readableLength >= req.readableHighWaterMark;
      if (socket.bytesRead !== bytesSeen || waitingForUs) {
        bytesSeen = socket.bytesRead;
        heardAt = now;
        return;
      }
      if (now - heardAt < idleMs) return;
      stop();
      // Node closes the connection once this answer is out (`Connection: close`); whatever was reading the
      // body then sees it end early, as when a client hangs up, and stores nothing.
      if (res.headersSent) req.destroy();
      else
        sendJson(
          res,
          408,
          { error: { code: ErrorCode.REQUEST_TIMEOUT, message: `no byte of the request body arrived for ${idleMs} ms` } },
          { connection: 'close' },
        );
    },
    Math.max(25, Math.min(1_000, idleMs / 4)),
  );
  timer.unref();
  const stop = () => clearInterval(timer);
  req.once('end', stop);
  req.once('close', stop);
  res.once('close', stop);
}
