import { badInput, forbidden } from '../errors.js';
import type { NetworkService } from '../networks/NetworkService.js';
import { canAccessScope } from '../principal.js';
import type { Principal } from '../principal.js';
import { parseScope, parseScopePattern, scopeMatches } from '../scope.js';
import type { Scope } from '../scope.js';
import type { TaskService } from '../tasks/TaskService.js';
import type { TaskEventHub, TaskEventSource } from './TaskEventHub.js';
import type { TaskEvent } from './taskEvents.js';

export interface TaskEventFilter {
  /** A scope pattern (`acme-*-*`); only scopes the subscriber holds are ever delivered. */
  scope?: string | undefined;
  networkKey?: string | undefined;
  taskId?: string | undefined;
}

const cursorPattern = /^\d{1,19}$/;

/**
 * Who may watch what. A subscription names a scope pattern, a network or a task; each is checked when
 * it starts (a refusal says why), and every event, replayed or live, is checked again against the
 * subscriber's scopes, so a filter can only ever narrow what the subscriber is allowed to read.
 */
export class TaskEventService {
  constructor(
    private readonly hub: TaskEventHub,
    private readonly source: Pick<TaskEventSource, 'latestId'>,
    private readonly networks: NetworkService,
    private readonly tasks: TaskService,
  ) {}

  async subscribe(actor: Principal, filter: TaskEventFilter, since?: string): Promise<AsyncIterableIterator<TaskEvent>> {
    const sinceCursor = since === undefined ? undefined : parseCursor(since);
    const tests: Array<(event: TaskEvent) => boolean> = [(event) => canAccessScope(actor, parseScope(event.scope))];

    if (filter.scope !== undefined) {
      const pattern = parseScopePattern(filter.scope);
      // A pattern wider than every scope held would silently deliver less than asked: say so instead.
      if (!actor.scopes.some((held) => covers(held, pattern))) {
        throw forbidden(`identity ${actor.name} does not hold all of scope ${filter.scope}`);
      }
      tests.push((event) => scopeMatches(pattern, parseScope(event.scope)));
    }
    if (filter.networkKey !== undefined) {
      const network = await this.networks.get(actor, filter.networkKey);
      // Networks never change after creation, so their transformations can be fixed now.
      const keys = new Set((await this.networks.transformations(network.id)).map((t) => t.scopedKey));
      tests.push((event) => keys.has(event.transformationKey));
    }
    let taskId: string | undefined;
    if (filter.taskId !== undefined) {
      taskId = (await this.tasks.get(actor, filter.taskId)).id;
      tests.push((event) => event.taskId === taskId);
    }
    return this.hub.subscribe({ accepts: (event) => tests.every((test) => test(event)), since: sinceCursor, taskId });
  }

  /** The newest committed event's cursor, to pair a snapshot with a subscription that starts after it. */
  async latestCursor(): Promise<string> {
    return (await this.source.latestId()).toString();
  }
}

function parseCursor(text: string): bigint {
  if (!cursorPattern.test(text)) throw badInput(`since is an event cursor (a whole number), got "${text}"`, { since: text });
  return BigInt(text);
}

/** Whether every scope matching `pattern` also matches `held`. */
function covers(held: Scope, pattern: Scope): boolean {
  const part = (h: string, p: string) => h === '*' || h === p;
  return part(held.org, pattern.org) && part(held.campaign, pattern.campaign) && part(held.project, pattern.project);
}
