import type { Metrics } from '../observability/metrics.js';
import { sendJson } from './jsonResponse.js';
import type { Route } from './requestListener.js';

export interface HealthCheck {
  name: string;
  check: () => Promise<void>;
}

const checkTimeoutMs = 2_000;

/** 200 when every dependency answers within two seconds, 503 naming the ones that did not. */
export function healthRoute(checks: HealthCheck[]): Route {
  return async (_req, res) => {
    const results = await Promise.all(
      checks.map(async ({ name, check }) => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${checkTimeoutMs} ms`)), checkTimeoutMs);
        });
        try {
          await Promise.race([check(), timeout]);
          return [name, 'ok'] as const;
        } catch (error) {
          return [name, error instanceof Error ? error.message : String(error)] as const;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const healthy = results.every(([, outcome]) => outcome === 'ok');
    sendJson(res, healthy ? 200 : 503, { status: healthy ? 'ok' : 'unavailable', checks: Object.fromEntries(results) });
  };
}

export function metricsRoute(metrics: Metrics): Route {
  return async (_req, res) => {
    const body = await metrics.registry.metrics();
    res.writeHead(200, { 'content-type': metrics.registry.contentType });
    res.end(body);
  };
}
