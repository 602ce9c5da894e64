import type { Command } from 'commander';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { ApiClient } from '../../client/ApiClient.js';
import { ApiError } from '../../client/ApiClient.js';
import { connect, withConnectionOptions } from '../connection.js';
import type { ConnectionOptions } from '../connection.js';
import { renderProgress, shortId, unitBar } from '../watch/renderProgress.js';
import { WatchModel } from '../watch/WatchModel.js';
import type { SnapshotTask, WatchEvent } from '../watch/WatchModel.js';

interface WatchOptions extends ConnectionOptions {
  network?: string;
  task?: string;
  exitWhenDone?: boolean;
}

const taskFields = 'id status transformation { name } dag { units { key state } } resultFiles { id }';
const eventsSubscription = `subscription ($filter: TaskEventFilter, $since: ID) {
  taskEvents(filter: $filter, since: $since) {
    __typename cursor taskId occurredAt
    ... on TaskStatusChanged { from to }
    ... on UnitResultRecorded { unitKey ok attempt }
    ... on ResultFileAvailable { file { unitKey path size } }
    ... on ProtocolDAGResultRecorded { ok }
    ... on ComputeServiceExpired { computeServiceName }
  }
}`;
const redrawEveryMs = 100;

export function registerWatchCommand(program: Command): void {
  withConnectionOptions(
    program
      .command('watch')
      .description('live progress of tasks: a bar per task on a terminal, a line per event otherwise')
      .option('--network <key>', "a network's tasks")
      .option('--task <id>', 'one task')
      .option('--exit-when-done', 'exit once every watched task is COMPLETE, ERROR, INVALID or DELETED'),
  ).action(async (options: WatchOptions) => {
    if (options.network !== undefined && options.task !== undefined) throw new Error('pass --network or --task, not both');
    const api = await connect(options);
    await watch(api, options);
  });
}

async function watch(api: ApiClient, options: WatchOptions): Promise<void> {
  const model = new WatchModel();
  const filter =
    options.network !== undefined ? { networkKey: options.network } : options.task !== undefined ? { taskId: options.task } : {};
  const title =
    options.network !== undefined ? `network ${options.network}` : options.task !== undefined ? `task ${options.task}` : 'running tasks';

  // The cursor before the snapshot: every change after the snapshot then arrives as an event.
  const { taskEventCursor } = await api.request<{ taskEventCursor: string }>('{ taskEventCursor }');
  model.load(await snapshot(api, options));
  const terminal = process.stdout.isTTY === true;
  const screen = terminal ? new Screen() : undefined;
  const draw = () => screen?.draw(renderProgress(model, title, Math.max(3, (process.stdout.rows ?? 24) - 1)));
  if (terminal) draw();
  else for (const line of renderProgress(model, title, Number.MAX_SAFE_INTEGER)) console.log(line);

  const fetchTask = async (id: string) => {
    const { task } = await api.request<{ task: SnapshotTask | null }>(`query ($id: ID!) { task(id: $id) { ${taskFields} } }`, { id });
    if (task !== null) model.load([task]);
  };

  await new Promise<void>((resolve, reject) => {
    let dirty = false;
    /** Events are handled one after another, in cursor order, even when one waits for its task to be fetched. */
    let handled = Promise.resolve();
    let finishing: NodeJS.Timeout | undefined;
    const client = createClient({
      url: api.endpoint.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${api.token}` },
      retryAttempts: 20,
      // 4403: the token was refused or revoked; retrying cannot help.
      shouldRetry: (event) => (event as { code?: number }).code !== 4403,
    });
    const timer = terminal
      ? setInterval(() => {
          if (dirty) {
            dirty = false;
            draw();
          }
        }, redrawEveryMs)
      : undefined;
    const stop = (error?: Error) => {
      if (timer !== undefined) clearInterval(timer);
      clearTimeout(finishing);
      if (terminal) draw();
      void client.dispose();
      if (error === undefined) resolve();
      else reject(error);
    };
    process.once('SIGINT', () => stop());

    const handle = async (event: WatchEvent) => {
      if (model.needsFetchBefore(event)) await fetchTask(event.taskId);
      const said = model.apply(event);
      if (said === null) return;
      if (!terminal) {
        const task = model.tasks.get(event.taskId);
        console.log(
          `${event.occurredAt.slice(11, 19)} ${shortId(event.taskId)} ${task?.name ?? ''}  ${said}  ${task === undefined ? '' : unitBar(task)}`,
        );
      }
      dirty = true;
      if (options.exitWhenDone === true) {
        // An ERROR may be followed at once by a restart to WAITING: decide after the burst.
        clearTimeout(finishing);
        finishing = setTimeout(() => {
          if (model.allFinished()) stop();
        }, 300);
      }
    };

    client.subscribe<{ taskEvents: WatchEvent }>(
      { query: eventsSubscription, variables: { filter, since: model.cursor ?? taskEventCursor } },
      {
        next: ({ data, errors }) => {
          if (errors !== undefined && errors.length > 0) {
            stop(new ApiError((errors[0] as { extensions?: { code?: string } }).extensions?.code ?? 'ERROR', errors[0]!.message));
            return;
          }
          const event = data?.taskEvents;
          if (event === undefined) return;
          handled = handled
            .then(() => handle(event))
            .catch((error: unknown) => stop(error instanceof Error ? error : new Error(String(error))));
        },
        error: (error) => {
          const list = Array.isArray(error) ? (error as Array<{ message: string; extensions?: { code?: string } }>) : [];
          const first = list[0];
          if (first !== undefined) stop(new ApiError(first.extensions?.code ?? 'ERROR', first.message));
          else stop(new ApiError('UNREACHABLE', `the event stream closed: ${(error as { reason?: string }).reason ?? String(error)}`));
        },
        complete: () => stop(),
      },
    );
    if (options.exitWhenDone === true && model.allFinished()) stop();
  });
}

async function snapshot(api: ApiClient, options: WatchOptions): Promise<SnapshotTask[]> {
  if (options.task !== undefined) {
    const { task } = await api.request<{ task: SnapshotTask | null }>(`query ($id: ID!) { task(id: $id) { ${taskFields} } }`, {
      id: options.task,
    });
    if (task === null) throw new ApiError('NOT_FOUND', `task ${options.task} not found`);
    return [task];
  }
  const filter = options.network !== undefined ? { networkKey: options.network } : { status: 'RUNNING' };
  const out: SnapshotTask[] = [];
  let after: string | null = null;
  for (;;) {
    const { tasks }: TaskPage = await api.request<TaskPage>(
      `query ($filter: TaskFilter, $after: String) { tasks(first: 500, after: $after, filter: $filter) { edges { node { ${taskFields} } } pageInfo { hasNextPage endCursor } } }`,
      { filter, after },
    );
    out.push(...tasks.edges.map((e) => e.node));
    if (!tasks.pageInfo.hasNextPage) return out;
    after = tasks.pageInfo.endCursor;
  }
}

interface TaskPage {
  tasks: { edges: Array<{ node: SnapshotTask }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
}

/** Redraws a block of lines in place on a terminal. */
class Screen {
  private height = 0;

  draw(lines: string[]): void {
    const up = this.height > 0 ? `\u001b[${this.height}F` : '';
    const width = process.stdout.columns ?? 120;
    const body = lines.map((line) => `${line.length > width ? line.slice(0, width - 1) : line}\u001b[K`).join('\n');
    // Clear what is left below when the block got shorter.
    process.stdout.write(`${up}${body}\n\u001b[J`);
    this.height = lines.length;
  }
}
