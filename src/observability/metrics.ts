import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics of one server instance. Each app gets its own registry, so several servers in one
 * process (tests, replicas) never share or double-register series.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'dagkeeper_http_requests_total',
    help: 'HTTP requests by route and status code.',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'dagkeeper_http_request_duration_seconds',
    help: 'HTTP request duration by route.',
    labelNames: ['route'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
    registers: [this.registry],
  });

  readonly graphqlOperations = new Counter({
    name: 'dagkeeper_graphql_operations_total',
    help: 'GraphQL operations by type and outcome (ok, or the first error code).',
    labelNames: ['type', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly graphqlFastPath = new Counter({
    name: 'dagkeeper_graphql_fast_path_total',
    help: 'GraphQL operations over HTTP run by the fast path for accepted documents rather than by Apollo Server (also counted in dagkeeper_graphql_operations_total).',
    registers: [this.registry],
  });

  readonly graphqlDuration = new Histogram({
    name: 'dagkeeper_graphql_operation_duration_seconds',
    help: 'GraphQL operation duration by type.',
    labelNames: ['type'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  });

  readonly websocketConnections = new Gauge({
    name: 'dagkeeper_websocket_connections',
    help: 'Open graphql-ws connections.',
    registers: [this.registry],
  });

  readonly objectBytes = new Counter({
    name: 'dagkeeper_object_bytes_total',
    help: 'Bytes moved through the server by signed object URLs, by direction (upload, download).',
    labelNames: ['direction'] as const,
    registers: [this.registry],
  });

  readonly claims = new Counter({
    name: 'dagkeeper_claims_total',
    help: 'Tasks handed out to compute services.',
    registers: [this.registry],
  });

  readonly unitResults = new Counter({
    name: 'dagkeeper_unit_results_total',
    help: 'Unit results recorded, by outcome (ok, failed).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly resultFiles = new Counter({
    name: 'dagkeeper_result_files_total',
    help: 'ResultFiles committed after their bytes were verified.',
    registers: [this.registry],
  });

  readonly resultFileBytes = new Counter({
    name: 'dagkeeper_result_file_bytes_total',
    help: 'Bytes of committed ResultFiles.',
    registers: [this.registry],
  });

  readonly dagResults = new Counter({
    name: 'dagkeeper_dag_results_total',
    help: 'ProtocolDAGResults recorded, by outcome (ok, failed).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly authFailures = new Counter({
    name: 'dagkeeper_auth_failures_total',
    help: 'Requests refused for a missing, unknown, revoked or expired token.',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });

  readonly taskEventsDelivered = new Counter({
    name: 'dagkeeper_task_events_delivered_total',
    help: 'Task events handed to subscriptions of this replica (one per subscriber that accepted it).',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'dagkeeper_' });
  }

  /**
   * Reports compute managers not deregistered, by status (live, gone), and the worker jobs of the live
   * ones, by state: read from the state store at scrape time (a few rows per manager).
   */
  observeComputeManagers(census: () => Promise<{ managers: Record<string, number>; jobs: Record<string, number> }>): void {
    // One read serves both gauges of a scrape: prom-client collects them one after the other.
    let pending: Promise<{ managers: Record<string, number>; jobs: Record<string, number> }> | undefined;
    const read = () => {
      pending ??= census().finally(() => setImmediate(() => (pending = undefined)));
      return pending;
    };
    new Gauge({
      name: 'dagkeeper_compute_managers',
      help: 'Compute managers not deregistered, by status (LIVE, GONE: silent past the compute expiry).',
      labelNames: ['status'] as const,
      registers: [this.registry],
      async collect() {
        const { managers } = await read();
        this.reset();
        for (const [status, count] of Object.entries(managers)) this.set({ status }, count);
      },
    });
    new Gauge({
      name: 'dagkeeper_compute_manager_jobs',
      help: 'Worker jobs of live compute managers, by the state their manager last reported.',
      labelNames: ['state'] as const,
      registers: [this.registry],
      async collect() {
        const { jobs } = await read();
        this.reset();
        for (const [state, count] of Object.entries(jobs)) this.set({ state }, count);
      },
    });
  }

  /** Reports the event hub's subscribers and how far it has read the outbox, read at scrape time. */
  observeEventHub(hub: { readonly subscriberCount: number; readonly position: bigint }): void {
    new Gauge({
      name: 'dagkeeper_task_event_subscribers',
      help: 'Open taskEvents subscriptions on this replica.',
      registers: [this.registry],
      collect() {
        this.set(hub.subscriberCount);
      },
    });
    new Gauge({
      name: 'dagkeeper_task_event_position',
      help: 'Cursor of the last task event this replica has read from the outbox.',
      registers: [this.registry],
      collect() {
        this.set(Number(hub.position));
      },
    });
  }
}
