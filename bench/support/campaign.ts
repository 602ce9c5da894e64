import pg from 'pg';
import type { ApiClient } from '../../src/client/ApiClient.js';

/** The users' side of a benchmark: networks through the API, and many waiting tasks through SQL. */

export interface TransformationSpec {
  name: string;
  protocol: string;
  settings: unknown;
}

export interface CreatedNetwork {
  networkKey: string;
  transformationKeys: string[];
}

/** `createNetwork` as the CLI sends it: a star of ligands, one transformation per spec. */
export async function createNetwork(
  user: ApiClient,
  scope: string,
  name: string,
  transformations: TransformationSpec[],
): Promise<CreatedNetwork> {
  const { createNetwork: created } = await user.request<{
    createNetwork: { network: { scopedKey: string; transformations: Array<{ scopedKey: string; name: string }> } };
  }>(
    'mutation ($scope: String!, $input: NetworkInput!) { createNetwork(scope: $scope, input: $input) { network { scopedKey transformations { scopedKey name } } } }',
    {
      scope,
      input: {
        name,
        chemicalSystems: [
          { name: 'reference', components: { smiles: 'c1ccccc1' } },
          { name: 'ligand', components: { smiles: 'c1ccccc1C' } },
        ],
        transformations: transformations.map((t) => ({ ...t, stateA: 'reference', stateB: 'ligand' })),
      },
    },
  );
  const byName = new Map(created.network.transformations.map((t) => [t.name, t.scopedKey]));
  return { networkKey: created.network.scopedKey, transformationKeys: transformations.map((t) => byName.get(t.name) as string) };
}

export async function withDatabase<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Adds `count` WAITING tasks of the transformation named `transformationName`, actioned on its
 * network's hub, in batches of plain SQL (`generate_series`): the API creates at most 1,000 tasks per
 * call, one row at a time, which would make a million-task setup take longer than the benchmark.
 * The rows are what TaskService.create and actionTasks write (a random seed each, as createTasks gives), minus the creation events. The tables
 * are vacuumed and analyzed afterwards (see vacuumAnalyze).
 */
export async function insertWaitingTasks(
  databaseUrl: string,
  transformationName: string,
  count: number,
  onProgress?: (done: number) => void,
): Promise<void> {
  const batch = 100_000;
  await withDatabase(databaseUrl, async (client) => {
    const { rows } = await client.query<{ transformationId: string; scopeId: string; hubId: string }>(
      `SELECT tf.id AS "transformationId", tf."scopeId", h.id AS "hubId"
         FROM "Transformation" tf
         JOIN "NetworkEdge" e ON e."transformationId" = tf.id
         JOIN "TaskHub" h ON h."networkId" = e."networkId"
        WHERE tf.name = $1`,
      [transformationName],
    );
    const target = rows[0];
    if (target === undefined || rows.length !== 1)
      throw new Error(`expected one transformation named ${transformationName} on one hub, found ${rows.length}`);
    for (let done = 0; done < count; done += batch) {
      const size = Math.min(batch, count - done);
      // createdAt one millisecond apart, oldest first, so the claim order (priority, age) is well defined.
      await client.query(
        `WITH inserted AS (
           INSERT INTO "Task" (id, "scopeId", "transformationId", status, priority, fence, seed, "createdAt", "updatedAt")
           SELECT gen_random_uuid(), $1::uuid, $2::uuid, 'WAITING', 10, 0, floor(random() * 9007199254740991)::bigint,
                  now() - (($4::int - g) * interval '1 millisecond'), now()
             FROM generate_series(1, $4::int) AS g
           RETURNING id)
         INSERT INTO "TaskAction" ("hubId", "taskId") SELECT $3::uuid, id FROM inserted`,
        [target.scopeId, target.transformationId, target.hubId, size],
      );
      onProgress?.(done + size);
    }
  });
  await vacuumAnalyze(databaseUrl, ['"Task"', '"TaskAction"']);
}

/** Tasks in `status`; with `protocol`, only those of transformations of that protocol. */
export async function countTasks(databaseUrl: string, status: string, protocol?: string): Promise<number> {
  return withDatabase(databaseUrl, async (client) => {
    const { rows } = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM "Task" t JOIN "Transformation" tf ON tf.id = t."transformationId"
        WHERE t.status = $1 AND ($2::text IS NULL OR tf.protocol = $2)`,
      [status, protocol ?? null],
    );
    return Number(rows[0]?.n ?? 0);
  });
}

/**
 * Tasks handed out twice: two claims of one task where the earlier was still held (not released)
 * when the later was made. A task requeued after its service expired is claimed again legitimately.
 */
export async function tasksClaimedTwice(databaseUrl: string): Promise<number> {
  return withDatabase(databaseUrl, async (client) =>
    Number(
      (
        await client.query<{ n: string }>(
          `SELECT count(DISTINCT later."taskId") AS n
         FROM "Claim" later
         JOIN "Claim" earlier ON earlier."taskId" = later."taskId" AND earlier.id <> later.id
          AND (earlier."claimedAt", earlier.id) < (later."claimedAt", later.id)
          AND (earlier."releasedAt" IS NULL OR earlier."releasedAt" > later."claimedAt")`,
        )
      ).rows[0]?.n,
    ),
  );
}

/** Claims released by a requeue (expiry, a worker's failure): each a task that went back to WAITING. */
export async function releasedClaims(databaseUrl: string): Promise<number> {
  return withDatabase(databaseUrl, async (client) =>
    Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM "Claim" WHERE "releasedAt" IS NOT NULL')).rows[0]?.n),
  );
}

export async function registerService(compute: ApiClient, name: string): Promise<string> {
  const { registerComputeService } = await compute.request<{ registerComputeService: { id: string } }>(
    'mutation ($name: String!) { registerComputeService(name: $name) { id } }',
    { name },
  );
  return registerComputeService.id;
}

/** Heartbeats for a compute service a few times per default expiry, as a worker does, until stopped. */
export function keepAlive(compute: ApiClient, serviceId: string): NodeJS.Timeout {
  return setInterval(() => {
    compute.request('mutation ($id: ID!) { heartbeat(computeServiceId: $id) { id } }', { id: serviceId }).catch(() => undefined);
  }, 4_000);
}

export const claimMutation =
  'mutation ($id: ID!, $count: Int!, $protocols: [String!]) { claimTasks(computeServiceId: $id, count: $count, protocols: $protocols) { token task { id } } }';

export interface Claimed {
  token: string;
  taskId: string;
}

export async function claim(compute: ApiClient, serviceId: string, protocols: string[], count = 1): Promise<Claimed[]> {
  const { claimTasks } = await compute.request<{ claimTasks: Array<{ token: string; task: { id: string } }> }>(claimMutation, {
    id: serviceId,
    count,
    protocols,
  });
  return claimTasks.map((c) => ({ token: c.token, taskId: c.task.id }));
}

/**
 * What autovacuum would do on a live system between two rounds: clear the dead row versions every
 * claim leaves behind (a claim updates its task, so the old version stays in the claim-order index
 * until a vacuum), and refresh the planner's statistics. Where autovacuum is off, as in this
 * machine's CI configuration of PostgreSQL, every claim would otherwise walk over the dead entries of
 * all the claims before it, and each round would measure the leftovers of the previous ones. Every
 * queue in a benchmark gets the same: dagkeeper's tables and graphile-worker's.
 */
export async function vacuumAnalyze(databaseUrl: string, tables: readonly string[]): Promise<void> {
  await withDatabase(databaseUrl, async (client) => {
    for (const table of tables) await client.query(`VACUUM (ANALYZE) ${table}`);
  });
}

/** vacuumAnalyze for every table of a database: the write-path rounds touch many (claims, results, events, the outbox). */
export async function vacuumDatabase(databaseUrl: string): Promise<void> {
  await withDatabase(databaseUrl, async (client) => {
    await client.query('VACUUM (ANALYZE)');
  });
}
