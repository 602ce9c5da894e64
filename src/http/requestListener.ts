import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode } from '../domain/errors.js';
import { lazyChildLogger } from '../observability/lazyChildLogger.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { retryAfterSeconds, unavailable } from '../storage/state/driverErrors.js';
import { sendJson } from './jsonResponse.js';

export type Route = (req: IncomingMessage, res: ServerResponse, url: URL, log: Logger) => Promise<void>;
/** A handler for a whole path prefix; returns false when the request is not its to serve. */
export type PrefixRoute = (req: IncomingMessage, res: ServerResponse, url: URL, log: Logger) => Promise<boolean>;

export interface RequestListenerOptions {
  routes: Record<string, Route>;
  prefixRoutes: PrefixRoute[];
  log: Logger;
  metrics: Metrics;
}

/**
 * The node:http entry point: gives every request an id (honouring a sane X-Request-Id), a child
 * logger carrying it (made when something logs), one access-log line and its metrics, and a JSON 404/500 when nothing else answers.
 */
export function createRequestListener(options: RequestListenerOptions) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const started = process.hrtime.bigint();
    const incomingId = req.headers['x-request-id'];
    const requestId = typeof incomingId === 'string' && /^[\w.:-]{1,128}$/.test(incomingId) ? incomingId : randomUUID();
    res.setHeader('x-request-id', requestId);
    const log = lazyChildLogger(options.log, () => ({ requestId }));
    const url = new URL(req.url ?? '/', 'http://localhost');
    const exact = options.routes[url.pathname];
    const route = exact === undefined ? 'other' : url.pathname;

    res.on('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const status = res.writableFinished ? res.statusCode : 499;
      options.metrics.httpRequests.inc({ route, status: String(status) });
      options.metrics.httpDuration.observe({ route }, seconds);
      if (route !== '/healthz' && route !== '/metrics') {
        log.info({ method: req.method, path: url.pathname, status, ms: Math.round(seconds * 1000) }, 'http request');
      }
    });

    const serve = async () => {
      if (exact !== undefined) return exact(req, res, url, log);
      for (const prefixRoute of options.prefixRoutes) {
        if (await prefixRoute(req, res, url, log)) return;
      }
      sendJson(res, 404, { error: { code: ErrorCode.NOT_FOUND, message: `no route for ${url.pathname}` } });
    };

    serve().catch((error: unknown) => {
      const away = unavailable(error);
      if (away !== undefined) log.warn({ err: error }, 'a store did not answer while serving a request');
      else log.error({ err: error }, 'unhandled error serving request');
      if (res.headersSent) {
        res.destroy();
      } else if (away !== undefined) {
        sendJson(res, 503, { error: { code: away.code, message: away.message } }, { 'retry-after': String(retryAfterSeconds) });
      } else {
        sendJson(res, 500, { error: { code: ErrorCode.INTERNAL_SERVER_ERROR, message: 'internal server error' } });
      }
    });
  };
}
