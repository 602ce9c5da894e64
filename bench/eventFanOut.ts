import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'graphql-ws';
import type { Client } from 'graphql-ws';
import WebSocket from 'ws';
import { WorkerApi } from '../src/worker/WorkerApi.js';
import type { Benchmark, BenchContext, BenchResult, Check } from './support/benchmark.js';
import { fmtCpuMs, fmtMs, fmtRatio, fmtSpread } from './support/benchmark.js';
import { claim, createNetwork, keepAlive, registerService } from './support/campaign.js';
import { openCpuMeter, perOperation } from './support/cpu.js';
import type { CpuMeter, CpuUse } from './support/cpu.js';
import { cpuRows } from './support/cpuRows.js';
import { startBenchServer } from './support/server.js';
import { median, nowMs, pairedRatios, summarize } from './support/stats.js';
import type { LatencySummary } from './support/stats.js';

/**
 * 5. Event fan-out: unit completions at a steady rate while 1,000 subscribers each hold a
 * `taskEvents` subscription on their own WebSocket; every event's delivery latency at every subscriber,
 * against the same completions watched by one subscriber, in alternating rounds.
 */

/** The issue's target: p99 delivery under this with this many subscribers. */
const targetP99Ms = 100;
const targetSubscribers = 1_000;

const protocol = 'bench-events';
const warmUpEvents = 3;
/** Warm-up completions sent before giving up on every subscriber hearing them. */
const maxWarmUpAttempts = 30;
const subscription = `subscription ($filter: TaskEventFilter) {
  taskEvents(filter: $filter) { __typename cursor taskId ... on UnitResultRecorded { unitKey ok attempt } } }`;

interface Received {
  unitKey: string;
  cursor: bigint;
  at: number;
}

interface PhaseResult {
  subscribers: number;
  events: number;
  latency: LatencySummary;
  /** Events some subscriber never got, counted per subscriber. */
  lost: number;
  duplicates: number;
  outOfOrder: number;
  /** Subscribers whose subscription ended or failed before the end. */
  failedSubscribers: number;
  /** From the first measured completion until every subscriber has heard the last, per completion. */
  cpuPerEvent: CpuUse;
}

export const eventFanOut: Benchmark = {
  id: 5,
  name: 'events',
  title: 'Event fan-out',
  async run(ctx: BenchContext): Promise<BenchResult> {
    const { fanOutSubscribers: many, fanOutEvents: events, fanOutEventsPerSecond: rate, fanOutRounds: rounds } = ctx.scale;
    const howMeasured = [
      `One task whose units complete at a steady ${rate} per second (\`submitUnitResult\` by a compute service, each recording one \`UnitResultRecorded\` event), ${events} completions per phase, ` +
        `while every subscriber holds \`subscription { taskEvents(filter: {taskId}) { __typename cursor … on UnitResultRecorded { unitKey } } }\` on a WebSocket of its own (graphql-ws, as \`dagkeeper watch\` does) ` +
        'to a separate `dagkeeper server` process (PostgreSQL, defaults).',
      'Delivery latency is, for every event at every subscriber, the time from the start of the `submitUnitResult` request that caused it to its arrival: ' +
        "it includes the write itself (benchmark 6), the outbox, LISTEN/NOTIFY and the fan-out. The subscribers all live in the benchmark's process, so their own parsing shares its CPU.",
      `Anchor: the same completions watched by one subscriber. Phases alternate, one subscriber then ${many}, for ${rounds} round(s), each phase connecting its subscribers afresh; ` +
        "every number is the median over the rounds with the range (min–max) in brackets, a ratio the median of the rounds' ratios. " +
        `Before each phase ${warmUpEvents} warm-up completions must reach every subscriber; ` +
        'then each subscriber must receive every event exactly once and in cursor order (lost, duplicated and reordered events are counted).',
      "CPU per completion, from /proc (bench/support/cpu.ts) from the first measured completion until every subscriber has heard the last: the server process (the write and the fan-out to every subscriber), its database's PostgreSQL backends, all PostgreSQL processes, and the benchmark process (the writer and every subscriber's parsing).",
    ];

    const phases: PhaseResult[] = [];
    const server = await startBenchServer();
    let heartbeat: NodeJS.Timeout | undefined;
    let meter: CpuMeter | undefined;
    try {
      meter = await openCpuMeter({ pid: server.pid, databases: [server.database.name] });
      const { client: user, token: userToken } = await server.identity('USER', 'bench-user', ['bench-events-run']);
      const { client: compute } = await server.identity('COMPUTE', 'bench-worker', ['bench-*-*']);
      const { networkKey, transformationKeys } = await createNetwork(user, 'bench-events-run', 'event fan-out', [
        { name: 'events', protocol, settings: {} },
      ]);
      const unitCount = 2 * rounds * (maxWarmUpAttempts + events);
      const dag = {
        name: 'many units',
        units: Array.from({ length: unitCount }, (_, i) => ({ key: `unit-${i}`, name: `Unit ${i}`, dependencies: [] })),
      };
      const { createTasks } = await user.request<{ createTasks: Array<{ id: string }> }>(
        'mutation ($t: ID!, $dag: JSON!) { createTasks(transformationKey: $t, dag: $dag) { id } }',
        { t: transformationKeys[0], dag },
      );
      const taskId = createTasks[0]!.id;
      await user.request('mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }', {
        n: networkKey,
        ids: [taskId],
      });
      const serviceId = await registerService(compute, 'event-source');
      const [claimed] = await claim(compute, serviceId, [protocol]);
      if (claimed === undefined) throw new Error('nothing to claim');
      // Connecting a thousand subscribers can outlast the expiry: keep the service alive.
      heartbeat = keepAlive(compute, serviceId);
      const api = new WorkerApi(compute);
      let nextUnit = 0;
      const complete = async (): Promise<{ unitKey: string; sentAt: number }> => {
        const unitKey = `unit-${nextUnit}`;
        nextUnit += 1;
        const sentAt = nowMs();
        const endedAt = new Date();
        await api.submitUnitResult(claimed.token, {
          unitKey,
          ok: true,
          outputs: { value: nextUnit },
          startedAt: new Date(endedAt.getTime() - 1000).toISOString(),
          endedAt: endedAt.toISOString(),
        });
        return { unitKey, sentAt };
      };

      for (let round = 1; round <= rounds; round += 1) {
        for (const subscribers of [1, many]) {
          ctx.log(`round ${round}/${rounds}, ${subscribers} subscriber(s): connecting`);
          phases.push(await runPhase({ url: server.url, token: userToken, taskId, subscribers, events, rate, complete, meter }));
          const p = phases.at(-1) as PhaseResult;
          ctx.log(`${subscribers} subscriber(s): p50 ${fmtMs(p.latency.p50)}, p99 ${fmtMs(p.latency.p99)}, lost ${p.lost}`);
        }
      }
    } finally {
      clearInterval(heartbeat);
      await meter?.close();
      await server.stop();
    }

    const ones = phases.filter((p) => p.subscribers === 1);
    const fans = phases.filter((p) => p.subscribers === many);
    const fan = fans[0] as PhaseResult;
    const latencies = (list: PhaseResult[], q: 'p50' | 'p99') => list.map((p) => p.latency[q]);
    const p99 = median(latencies(fans, 'p99'));
    const atTargetSize = many >= targetSubscribers;
    const checks: Check[] = phases.map((p) => ({
      name: `${p.subscribers} subscriber(s): every event delivered once, in order`,
      ok: p.lost === 0 && p.duplicates === 0 && p.outOfOrder === 0 && p.failedSubscribers === 0,
      detail: `${p.lost} lost, ${p.duplicates} duplicated, ${p.outOfOrder} out of order, ${p.failedSubscribers} subscriptions ended early; ${p.events} events × ${p.subscribers}`,
    }));
    return {
      anchor: 'the same completions watched by one subscriber',
      howMeasured,
      rows: [
        ...(['p50', 'p99'] as const).map((q) => ({
          metric: `delivery ${q}, ${many} subscribers`,
          dagkeeper: fmtSpread(latencies(fans, q), fmtMs),
          anchor: fmtSpread(latencies(ones, q), fmtMs),
          ratio: `${fmtSpread(pairedRatios(latencies(fans, q), latencies(ones, q)), fmtRatio)} (lower is better)`,
        })),
        {
          metric: 'events delivered per round',
          dagkeeper: `${fmtSpread(
            fans.map((p) => p.latency.count),
            (v) => v.toLocaleString('en-US'),
          )} of ${(fan.events * fan.subscribers).toLocaleString('en-US')}`,
          anchor: `${fmtSpread(
            ones.map((p) => p.latency.count),
            String,
          )} of ${fan.events}`,
          ratio: '',
        },
        ...cpuRows(
          `per completion, ${many} subscribers`,
          fans.map((p) => p.cpuPerEvent),
          { rounds: ones.map((p) => p.cpuPerEvent), per: 'with 1 subscriber' },
        ),
      ],
      verdicts: [
        {
          target: `p99 delivery < ${targetP99Ms} ms with ${targetSubscribers.toLocaleString('en-US')} subscribers`,
          pass: atTargetSize ? p99 < targetP99Ms : null,
          detail: `${fmtSpread(latencies(fans, 'p99'), fmtMs)} with ${many} subscribers${atTargetSize ? '' : ` (not assessed: the target is for ${targetSubscribers.toLocaleString('en-US')})`}; server CPU ${fmtSpread(
            fans.map((p) => p.cpuPerEvent.processMs),
            fmtCpuMs,
          )} per completion`,
        },
      ],
      checks,
      raw: { rate, warmUpEvents, rounds, phases },
    };
  },
};

async function runPhase(input: {
  url: string;
  token: string;
  taskId: string;
  subscribers: number;
  events: number;
  rate: number;
  complete: () => Promise<{ unitKey: string; sentAt: number }>;
  meter: CpuMeter;
}): Promise<PhaseResult> {
  const inboxes: Received[][] = Array.from({ length: input.subscribers }, () => []);
  let failedSubscribers = 0;
  const clients: Client[] = [];
  const waiters = new Set<() => void>();
  // Which subscribers heard each unit's event; waiters are woken only when one has been heard by all.
  const heardBy = new Map<string, Set<number>>();
  const heardByAll = new Set<string>();
  const hear = (unitKey: string, subscriber: number) => {
    const set = heardBy.get(unitKey) ?? new Set<number>();
    heardBy.set(unitKey, set);
    set.add(subscriber);
    if (set.size === input.subscribers && !heardByAll.has(unitKey)) {
      heardByAll.add(unitKey);
      for (const waiter of [...waiters]) waiter();
    }
  };
  try {
    // Connect a few dozen at a time, as a crowd of dashboards opening would.
    for (let i = 0; i < input.subscribers; i += 1) {
      const inbox = inboxes[i] as Received[];
      const client = createClient({
        url: `${input.url.replace(/^http/, 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${input.token}` },
        lazy: false,
        retryAttempts: 0,
      });
      clients.push(client);
      client.subscribe<{ taskEvents: { __typename: string; cursor: string; unitKey?: string } }>(
        { query: subscription, variables: { filter: { taskId: input.taskId } } },
        {
          next: ({ data }) => {
            const event = data?.taskEvents;
            if (event?.__typename !== 'UnitResultRecorded' || event.unitKey === undefined) return;
            inbox.push({ unitKey: event.unitKey, cursor: BigInt(event.cursor), at: nowMs() });
            hear(event.unitKey, i);
          },
          error: () => {
            failedSubscribers += 1;
          },
          complete: () => undefined,
        },
      );
      if (i % 50 === 49) await sleep(20);
    }

    // Warm-up completions until every subscriber hears one: only then are all subscriptions live.
    for (let attempt = 0; attempt < maxWarmUpAttempts; attempt += 1) {
      const { unitKey } = await input.complete();
      const everyone = await waitUntil(waiters, () => heardByAll.has(unitKey), 3_000);
      if (everyone && attempt + 1 >= warmUpEvents) break;
      if (attempt === maxWarmUpAttempts - 1)
        throw new Error(`after ${maxWarmUpAttempts} warm-up events not every one of ${input.subscribers} subscribers receives events`);
    }
    for (const inbox of inboxes) inbox.length = 0;

    const sent = new Map<string, number>();
    const cpuStart = await input.meter.mark();
    const started = nowMs();
    for (let i = 0; i < input.events; i += 1) {
      const due = started + (i * 1000) / input.rate;
      if (due > nowMs()) await sleep(due - nowMs());
      const { unitKey, sentAt } = await input.complete();
      sent.set(unitKey, sentAt);
    }
    const expected = [...sent.keys()];
    await waitUntil(waiters, () => expected.every((key) => heardByAll.has(key)), 15_000);
    const cpu = await input.meter.since(cpuStart);

    const latencies: number[] = [];
    let lost = 0;
    let duplicates = 0;
    let outOfOrder = 0;
    for (const inbox of inboxes) {
      const seen = new Set<string>();
      let lastCursor = -1n;
      for (const event of inbox) {
        const sentAt = sent.get(event.unitKey);
        if (sentAt === undefined) continue;
        if (seen.has(event.unitKey)) duplicates += 1;
        seen.add(event.unitKey);
        if (event.cursor <= lastCursor) outOfOrder += 1;
        lastCursor = event.cursor;
        latencies.push(event.at - sentAt);
      }
      lost += expected.filter((key) => !seen.has(key)).length;
    }
    return {
      subscribers: input.subscribers,
      events: input.events,
      latency: summarize(latencies),
      lost,
      duplicates,
      outOfOrder,
      failedSubscribers,
      cpuPerEvent: perOperation(cpu, input.events),
    };
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
  }
}

/** Resolves true once `done()` holds (re-checked whenever an event arrives), false after `timeoutMs`. */
function waitUntil(waiters: Set<() => void>, done: () => boolean, timeoutMs: number): Promise<boolean> {
  if (done()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const check = () => {
      if (!done()) return;
      finish(true);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    const finish = (result: boolean) => {
      clearTimeout(timer);
      waiters.delete(check);
      resolve(result);
    };
    waiters.add(check);
  });
}
