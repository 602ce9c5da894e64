import type { Command } from 'commander';
import type { ApiClient } from '../../client/ApiClient.js';
import { ApiError } from '../../client/ApiClient.js';
import { isTaskStatus, TaskStatuses } from '../../domain/tasks/taskStatus.js';
import { connect, withConnectionOptions } from '../connection.js';
import type { ConnectionOptions } from '../connection.js';
import { printTable } from '../output.js';
import { attemptsSummary, runningOn } from './taskAttemptsText.js';
import type { AttemptView } from './taskAttemptsText.js';

interface JsonOption extends ConnectionOptions {
  json?: boolean;
}

interface TaskRow {
  id: string;
  status: string;
  priority: number;
  createdAt: string;
  transformation: { name: string };
  /** Set while WAITING for a protocol no live compute service runs. */
  waitingForProtocol: string | null;
}

interface TaskDetail extends TaskRow {
  scope: string;
  updatedAt: string;
  extends: { id: string } | null;
  actionedOn: string[];
  dag: { units: Array<{ key: string; state: string }> } | null;
  attempts: AttemptView[];
}

/** The server serves at most 1,000 tasks a page; 500 keeps each response modest. */
const PAGE_SIZE = 500;
const rowFields = 'id status priority createdAt transformation { name } waitingForProtocol';

export function registerTaskCommands(program: Command): void {
  const tasks = program.command('tasks').description('create, action, list and change tasks');

  withConnectionOptions(
    tasks
      .command('create <transformationKey>')
      .description('create tasks for a transformation and print their ids')
      .option('--count <n>', 'how many', '1')
      .option('--extends <taskId>', 'continue from this task')
      .option('--priority <p>', '1 is the most urgent')
      .option('--action <networkKey>', "also action them on this network's hub")
      .option('--json', 'print JSON'),
  ).action(
    async (transformationKey: string, options: JsonOption & { count: string; extends?: string; priority?: string; action?: string }) => {
      const count = wholeNumber('--count', options.count, 1);
      const priority = options.priority === undefined ? undefined : wholeNumber('--priority', options.priority, 1);
      const api = await connect(options);
      const { createTasks } = await api.request<{ createTasks: TaskRow[] }>(
        `mutation ($t: ID!, $count: Int, $extends: ID, $priority: Int) {
        createTasks(transformationKey: $t, count: $count, extends: $extends, priority: $priority) { ${rowFields} }
      }`,
        { t: transformationKey, count, extends: options.extends, priority },
      );
      const ids = createTasks.map((t) => t.id);
      const actioned = options.action === undefined ? [] : await actionTasks(api, 'actionTasks', options.action, ids);
      if (options.json === true) {
        console.log(JSON.stringify({ tasks: createTasks, actionedOn: options.action ?? null, actioned }, null, 2));
        return;
      }
      for (const id of ids) console.log(id);
      console.error(
        `created ${ids.length} task(s)${options.action === undefined ? '' : `, actioned ${actioned.length} on ${options.action}`}`,
      );
    },
  );

  for (const [verb, mutation, description] of [
    ['action', 'actionTasks', "make tasks claimable from a network's hub"],
    ['cancel', 'cancelTasks', "take tasks off a network's hub"],
  ] as const) {
    withConnectionOptions(
      tasks.command(`${verb} <networkKey> <taskIds...>`).description(description).option('--json', 'print JSON'),
    ).action(async (networkKey: string, taskIds: string[], options: JsonOption) => {
      const api = await connect(options);
      const done = await actionTasks(api, mutation, networkKey, taskIds);
      if (options.json === true) {
        console.log(JSON.stringify(done));
        return;
      }
      for (const id of done) console.log(id);
      console.error(`${verb === 'action' ? 'actioned' : 'cancelled'} ${done.length} of ${taskIds.length} task(s) on ${networkKey}`);
    });
  }

  withConnectionOptions(
    tasks
      .command('list')
      .description('list tasks, oldest first, a page at a time')
      .option('--network <networkKey>', 'only tasks actioned on this network')
      .option('--status <status>', TaskStatuses.join(', '))
      .option('--scope <scope>', 'only this scope (a part may be *)')
      .option('--limit <n>', 'list at most this many (default: all)')
      .option('--json', 'print JSON'),
  ).action(async (options: JsonOption & { network?: string; status?: string; scope?: string; limit?: string }) => {
    const limit = options.limit === undefined ? Number.POSITIVE_INFINITY : wholeNumber('--limit', options.limit, 1);
    const status = options.status === undefined ? undefined : taskStatus(options.status);
    const api = await connect(options);
    const { rows, totalCount } = await listTasks(api, { networkKey: options.network, status, scope: options.scope }, limit);
    if (options.json === true) {
      console.log(JSON.stringify({ totalCount, tasks: rows }, null, 2));
      return;
    }
    printTable(
      rows.map((t) => ({
        id: t.id,
        status: t.status,
        priority: t.priority,
        transformation: t.transformation.name,
        created: t.createdAt,
        'waiting for': waitingFor(t),
      })),
    );
    if (rows.length < totalCount) console.error(`showing ${rows.length} of ${totalCount} tasks`);
    const unserved = [...new Set(rows.flatMap((t) => (t.waitingForProtocol === null ? [] : [t.waitingForProtocol])))];
    if (unserved.length > 0)
      console.error(`no live compute service runs ${unserved.join(', ')}: start a worker for ${unserved.length === 1 ? 'it' : 'them'}`);
  });

  withConnectionOptions(
    tasks.command('status <taskIds...>').description("show tasks' status, priority, hubs and unit progress").option('--json', 'print JSON'),
  ).action(async (taskIds: string[], options: JsonOption) => {
    const api = await connect(options);
    const found = await Promise.all(
      taskIds.map(async (id) => {
        const { task } = await api.request<{ task: TaskDetail | null }>(
          `query ($id: ID!) { task(id: $id) { ${rowFields} scope updatedAt extends { id } actionedOn dag { units { key state } }
             attempts { attempt computeServiceName host startedAt endedAt ending runningUnit unitKeys } } }`,
          { id },
        );
        if (task === null) throw new ApiError('NOT_FOUND', `no task ${id}`);
        return task;
      }),
    );
    if (options.json === true) {
      console.log(JSON.stringify(found, null, 2));
      return;
    }
    printTable(
      found.map((t) => ({
        id: t.id,
        status: t.status,
        priority: t.priority,
        transformation: t.transformation.name,
        units: t.dag === null ? 'no DAG yet' : `${t.dag.units.filter((u) => u.state === 'OK').length}/${t.dag.units.length} ok`,
        hubs: t.actionedOn.length,
        attempts: attemptsSummary(t.attempts),
        'running on': runningOn(t.attempts),
        extends: t.extends?.id ?? '',
        updated: t.updatedAt,
        'waiting for': waitingFor(t),
      })),
    );
  });

  withConnectionOptions(
    tasks
      .command('set-status <status> <taskIds...>')
      .description(
        'set WAITING, INVALID or DELETED (INVALID and DELETED cascade to extending tasks; an ERROR task set WAITING runs again once actioned: `tasks action`)',
      )
      .option('--json', 'print JSON'),
  ).action(async (status: string, taskIds: string[], options: JsonOption) => {
    const api = await connect(options);
    const { setTaskStatus } = await api.request<{ setTaskStatus: Array<{ id: string; status: string }> }>(
      'mutation ($ids: [ID!]!, $status: TaskStatus!) { setTaskStatus(taskIds: $ids, status: $status) { id status } }',
      { ids: taskIds, status: taskStatus(status) },
    );
    if (options.json === true) {
      console.log(JSON.stringify(setTaskStatus, null, 2));
      return;
    }
    printTable(setTaskStatus);
  });
}

async function actionTasks(
  api: ApiClient,
  mutation: 'actionTasks' | 'cancelTasks',
  networkKey: string,
  taskIds: string[],
): Promise<string[]> {
  const data = await api.request<Record<typeof mutation, string[]>>(
    `mutation ($n: ID!, $ids: [ID!]!) { ${mutation}(networkKey: $n, taskIds: $ids) }`,
    { n: networkKey, ids: taskIds },
  );
  return data[mutation];
}

interface TaskPage {
  totalCount: number;
  edges: Array<{ node: TaskRow }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

interface TaskFilter {
  networkKey: string | undefined;
  status: string | undefined;
  scope: string | undefined;
}

/** Follows the Relay connection's cursors until `limit` tasks or the last page. */
async function listTasks(api: ApiClient, filter: TaskFilter, limit: number): Promise<{ rows: TaskRow[]; totalCount: number }> {
  const rows: TaskRow[] = [];
  let after: string | null = null;
  let totalCount = 0;
  while (rows.length < limit) {
    const { tasks: page }: { tasks: TaskPage } = await api.request(
      `query ($first: Int, $after: String, $filter: TaskFilter) {
        tasks(first: $first, after: $after, filter: $filter) { totalCount edges { node { ${rowFields} } } pageInfo { hasNextPage endCursor } }
      }`,
      { first: Math.min(PAGE_SIZE, limit - rows.length), after, filter },
    );
    totalCount = page.totalCount;
    rows.push(...page.edges.map((e) => e.node));
    if (!page.pageInfo.hasNextPage || page.pageInfo.endCursor === null) break;
    after = page.pageInfo.endCursor;
  }
  return { rows, totalCount };
}

/** What a WAITING task waits for that is not coming: a compute service running its protocol. */
function waitingFor(task: TaskRow): string {
  return task.waitingForProtocol === null ? '' : `protocol ${task.waitingForProtocol} (no live service runs it)`;
}

function taskStatus(value: string): string {
  const status = value.toUpperCase();
  if (!isTaskStatus(status)) throw new Error(`unknown status "${value}"; one of ${TaskStatuses.join(', ')}`);
  return status;
}

function wholeNumber(option: string, value: string, min: number): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < min) throw new Error(`${option} must be a whole number of at least ${min}, got "${value}"`);
  return parsed;
}
