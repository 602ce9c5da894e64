import { bytesOf, dag, okUnit, protocol, scope } from './accessWorld.js';
import type { Caller, World } from './accessWorld.js';

/**
 * The access-control table: one entry per root field of schema.graphql, with a minimal valid operation,
 * who may run it (the positive control) and every refusal that applies to it. Every entry is also
 * refused for every intruder (no token, unknown, revoked, expired, disabled identity): over HTTP as
 * UNAUTHENTICATED (401), over WebSocket by closing the connection with 4403.
 * accessControl.test.ts fails when a root field has no entry here.
 */

export type RefusalCode = 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'STALE_CLAIM' | 'COMPUTE_SERVICE_GONE';
export type RootType = 'Query' | 'Mutation' | 'Subscription';
type Variables = (w: World) => Record<string, unknown>;

export interface Refusal {
  /** The case, as the test title says it. */
  why: string;
  as: Caller;
  /** Variables for this case, when they differ from the valid operation's. */
  variables?: Variables;
  code: RefusalCode;
}

export interface AccessEntry {
  root: RootType;
  field: string;
  query: string;
  /** The positive control: this caller runs the operation with these variables and it succeeds. */
  allowed: {
    as: Caller;
    variables: Variables;
    prepare?: (w: World, run: (as: Caller, query: string, variables: Record<string, unknown>) => Promise<unknown>) => Promise<void>;
  };
  refuses: Refusal[];
}

const none: Variables = () => ({});

// The cases, named once.
const otherScopeUser = (variables?: Variables, code: RefusalCode = 'FORBIDDEN', why = 'a user of another scope'): Refusal => ({
  why,
  as: 'mallory',
  code,
  ...(variables === undefined ? {} : { variables }),
});
const computeDoingUserWork: Refusal = { why: 'a compute identity doing user work', as: 'hpc', code: 'FORBIDDEN' };
const userDoingComputeWork: Refusal = { why: 'a user identity doing compute work', as: 'alice', code: 'FORBIDDEN' };
const otherComputeIdentity = (what: string): Refusal => ({
  why: `another compute identity using hpc's ${what}`,
  as: 'rogue',
  code: 'FORBIDDEN',
});
const nonAdmin = (as: Caller): Refusal => ({ why: `a non-administrator (${as})`, as, code: 'FORBIDDEN' });
const staleClaim = (variables: Variables): Refusal => ({
  why: 'a claim token superseded after expiry and reclaim',
  as: 'hpc',
  variables,
  code: 'STALE_CLAIM',
});
const goneService = (variables: Variables): Refusal => ({
  why: 'a compute service that expired',
  as: 'hpc',
  variables,
  code: 'COMPUTE_SERVICE_GONE',
});

const claimWrite = (
  field: string,
  query: string,
  variables: (claimToken: string, w: World) => Record<string, unknown>,
  extra: Refusal[] = [],
  prepare?: AccessEntry['allowed']['prepare'],
): AccessEntry => ({
  root: 'Mutation',
  field,
  query,
  allowed: { as: 'hpc', variables: (w) => variables(w.claims.live, w), ...(prepare === undefined ? {} : { prepare }) },
  refuses: [userDoingComputeWork, otherComputeIdentity('claim'), staleClaim((w) => variables(w.claims.stale, w)), ...extra],
});

const taskIdsOn = (network: 'network' | 'malloryNetwork') => (w: World) => ({ n: w[network].key, ids: [w.tasks.idle] });

/** reportDagBuildFailure's positive control: hpc claims a new, most urgent task of alice's that has no DAG. */
const unbuildable = { claimToken: '' };
const claimUnbuildableTask: AccessEntry['allowed']['prepare'] = async (w, run) => {
  const { createTasks } = (await run('alice', 'mutation ($t: ID!) { createTasks(transformationKey: $t, priority: 1) { id } }', {
    t: w.network.transformationKey,
  })) as { createTasks: Array<{ id: string }> };
  const taskId = createTasks[0]!.id;
  await run('alice', 'mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }', {
    n: w.network.key,
    ids: [taskId],
  });
  const { claimTasks } = (await run(
    'hpc',
    'mutation ($s: ID!, $p: [String!]) { claimTasks(computeServiceId: $s, protocols: $p) { token task { id } } }',
    { s: w.services.live, p: [protocol] },
  )) as { claimTasks: Array<{ token: string; task: { id: string } }> };
  if (claimTasks[0]?.task.id !== taskId) throw new Error(`expected to claim the new task ${taskId}, got ${JSON.stringify(claimTasks)}`);
  unbuildable.claimToken = claimTasks[0].token;
};

/** An archived task's document (docs/archive.md) alice uploads and commits for importTask's positive control. */
const archivedDocument = { uploadId: '' };
const uploadArchivedTask: AccessEntry['allowed']['prepare'] = async (_w, run) => {
  const document = bytesOf(
    JSON.stringify({
      format: 'dagkeeper-task',
      version: 1,
      id: 'access-control-archived-task',
      status: 'WAITING',
      priority: 10,
      seed: 7,
      extends: null,
      createdAt: new Date().toISOString(),
      dag: null,
      unitResults: [],
      dagResults: [],
      files: [],
    }),
  );
  const { createImportUpload } = (await run(
    'alice',
    'mutation ($s: String!, $size: SafeInt!, $sha: String!) { createImportUpload(scope: $s, size: $size, sha256: $sha) { uploadId url } }',
    { s: scope, size: document.size, sha: document.sha256 },
  )) as { createImportUpload: { uploadId: string; url: string } };
  const put = await fetch(createImportUpload.url, { method: 'PUT', body: document.bytes });
  if (!put.ok) throw new Error(`PUT of the archived task answered ${put.status}`);
  await run('alice', 'mutation ($u: ID!) { commitImportUpload(uploadId: $u) }', { u: createImportUpload.uploadId });
  archivedDocument.uploadId = createImportUpload.uploadId;
};

/** Input objects alice stores or leaves open for the input-object entries' positive controls (docs/inputs.md). */
const inputs = { stored: bytesOf('an input object alice stored') };
type Run = Parameters<NonNullable<AccessEntry['allowed']['prepare']>>[1];
const openInputUpload = async (run: Run, content: ReturnType<typeof bytesOf>): Promise<{ uploadId: string; url: string }> => {
  const { createInputUpload } = (await run(
    'alice',
    'mutation ($i: InputUploadInput!) { createInputUpload(input: $i) { upload { uploadId url } } }',
    { i: { scope, size: content.size, sha256: content.sha256 } },
  )) as { createInputUpload: { upload: { uploadId: string; url: string } | null } };
  if (createInputUpload.upload === null) throw new Error('expected a new input upload');
  return createInputUpload.upload;
};
const sendInput = async (upload: { url: string }, content: ReturnType<typeof bytesOf>): Promise<void> => {
  const put = await fetch(upload.url, { method: 'PUT', body: content.bytes });
  if (!put.ok) throw new Error(`PUT of an input object answered ${put.status}`);
};
const storeInput: AccessEntry['allowed']['prepare'] = async (_w, run) => {
  const probe = (await run('alice', 'query ($s: String!, $h: String!) { inputObject(scope: $s, sha256: $h) { sha256 } }', {
    s: scope,
    h: inputs.stored.sha256,
  })) as { inputObject: unknown };
  if (probe.inputObject !== null) return;
  const upload = await openInputUpload(run, inputs.stored);
  await sendInput(upload, inputs.stored);
  await run('alice', 'mutation ($u: ID!) { commitInputUpload(uploadId: $u) { sha256 } }', { u: upload.uploadId });
  await run('alice', 'mutation ($i: InputUploadInput!) { createInputUpload(input: $i) { object { sha256 } } }', {
    i: { scope, size: inputs.stored.size, sha256: inputs.stored.sha256, key: 'acl-key' },
  });
};
export const accessTable: AccessEntry[] = [
  // --- Query ----------------------------------------------------------------------------------------
  { root: 'Query', field: 'viewer', query: '{ viewer { id } }', allowed: { as: 'alice', variables: none }, refuses: [] },
  {
    root: 'Query',
    field: 'identities',
    query: '{ identities { id } }',
    allowed: { as: 'admin', variables: none },
    refuses: [nonAdmin('alice'), nonAdmin('hpc')],
  },
  {
    root: 'Query',
    field: 'identity',
    query: 'query ($id: ID!) { identity(id: $id) { id tokens { id } } }',
    allowed: { as: 'admin', variables: (w) => ({ id: w.identityIds.hpc }) },
    refuses: [nonAdmin('alice'), nonAdmin('rogue')],
  },
  {
    root: 'Query',
    field: 'computeServicePolicy',
    query: '{ computeServicePolicy { expirySeconds } }',
    allowed: { as: 'hpc', variables: none },
    refuses: [],
  },
  {
    root: 'Query',
    field: 'requestSizeLimits',
    query: '{ requestSizeLimits { maxRequestBytes maxJsonValueBytes } }',
    allowed: { as: 'alice', variables: none },
    refuses: [],
  },
  {
    root: 'Query',
    field: 'network',
    query: 'query ($k: ID!) { network(scopedKey: $k) { name } }',
    allowed: { as: 'alice', variables: (w) => ({ k: w.network.key }) },
    refuses: [otherScopeUser()],
  },
  {
    root: 'Query',
    field: 'networks',
    query: 'query ($s: String) { networks(scope: $s) { scopedKey } }',
    allowed: { as: 'alice', variables: () => ({ s: scope }) },
    refuses: [otherScopeUser()],
  },
  {
    root: 'Query',
    field: 'transformations',
    query: 'query ($n: ID) { transformations(networkKey: $n) { scopedKey } }',
    allowed: { as: 'alice', variables: (w) => ({ n: w.network.key }) },
    refuses: [otherScopeUser()],
  },
  {
    root: 'Query',
    field: 'chemicalSystem',
    query: 'query ($k: ID!) { chemicalSystem(scopedKey: $k) { name } }',
    allowed: { as: 'alice', variables: (w) => ({ k: w.network.chemicalSystemKey }) },
    refuses: [otherScopeUser()],
  },
  {
    root: 'Query',
    field: 'chemicalSystems',
    query: 'query ($s: String) { chemicalSystems(scope: $s) { scopedKey } }',
    allowed: { as: 'alice', variables: () => ({ s: scope }) },
    refuses: [otherScopeUser()],
  },
  {
    root: 'Query',
    field: 'transformation',
    query: 'query ($k: ID!) { transformation(scopedKey: $k) { name } }',
    allowed: { as: 'alice', variables: (w) => ({ k: w.network.transformationKey }) },
    refuses: [otherScopeUser()],
  },
  {
    root: 'Query',
    field: 'task',
    query: 'query ($id: ID!) { task(id: $id) { id status } }',
    allowed: { as: 'alice', variables: (w) => ({ id: w.tasks.live }) },
    // A task id names no scope: outside the caller's scopes the task does not exist.
    refuses: [otherScopeUser(undefined, 'NOT_FOUND')],
  },
  {
    root: 'Query',
    field: 'tasks',
    query: 'query ($f: TaskFilter) { tasks(filter: $f) { totalCount edges { node { id } } } }',
    allowed: { as: 'alice', variables: () => ({ f: { scope } }) },
    refuses: [
      otherScopeUser(),
      otherScopeUser((w) => ({ f: { networkKey: w.network.key } }), 'FORBIDDEN', 'a user of another scope, by network'),
      otherScopeUser(
        (w) => ({ f: { transformationKey: w.network.transformationKey } }),
        'FORBIDDEN',
        'a user of another scope, by transformation',
      ),
    ],
  },
  {
    root: 'Query',
    field: 'statusCounts',
    query: 'query ($s: String, $n: ID, $t: ID) { statusCounts(scope: $s, networkKey: $n, transformationKey: $t) { waiting running } }',
    allowed: { as: 'alice', variables: () => ({ s: scope }) },
    refuses: [
      otherScopeUser(),
      otherScopeUser((w) => ({ n: w.network.key }), 'FORBIDDEN', 'a user of another scope, by network'),
      otherScopeUser((w) => ({ t: w.network.transformationKey }), 'FORBIDDEN', 'a user of another scope, by transformation'),
    ],
  },
  // Nothing to refuse beyond intruders: each caller sees only its own services (accessControl.test.ts, isolation).
  {
    root: 'Query',
    field: 'computeServices',
    query: '{ computeServices(includeGone: true) { id } }',
    allowed: { as: 'hpc', variables: none },
    refuses: [],
  },
  // Without `scope`, each reader sees only services at work on tasks it may read (test/tasks/taskAttempts.test.ts).
  {
    root: 'Query',
    field: 'computeServicesAtWork',
    query: 'query ($s: String) { computeServicesAtWork(scope: $s) { id taskIds } }',
    allowed: { as: 'alice', variables: () => ({ s: scope }) },
    refuses: [otherScopeUser()],
  },
  // What a compute identity could claim, in its own scopes: compute managers watch it.
  {
    root: 'Query',
    field: 'claimableTaskCounts',
    query: '{ claimableTaskCounts { protocol scope count } }',
    allowed: { as: 'hpc', variables: none },
    refuses: [userDoingComputeWork],
  },
  // Each identity lists its own managers (administrators every one): nothing to refuse.
  {
    root: 'Query',
    field: 'computeManagers',
    query: '{ computeManagers(includeDeregistered: true) { id jobs { jobId } } }',
    allowed: { as: 'hpc', variables: none },
    refuses: [],
  },
  // Any identity may read where the event stream stands; the events themselves are scope-checked (taskEvents).
  { root: 'Query', field: 'taskEventCursor', query: '{ taskEventCursor }', allowed: { as: 'mallory', variables: none }, refuses: [] },

  // --- Mutation: identities and tokens --------------------------------------------------------------
  {
    root: 'Mutation',
    field: 'createIdentity',
    query: 'mutation ($input: CreateIdentityInput!) { createIdentity(input: $input) { token } }',
    allowed: { as: 'admin', variables: () => ({ input: { kind: 'USER', name: 'created-by-admin', scopes: [scope] } }) },
    refuses: [nonAdmin('alice'), nonAdmin('hpc')],
  },
  {
    root: 'Mutation',
    field: 'issueToken',
    query: 'mutation ($id: ID!) { issueToken(identityId: $id, label: "acl") { token } }',
    allowed: { as: 'admin', variables: (w) => ({ id: w.identityIds.hpc }) },
    refuses: [
      { why: 'a non-administrator, for another identity', as: 'alice', code: 'FORBIDDEN' },
      { why: 'a compute identity, for another compute identity', as: 'rogue', code: 'FORBIDDEN' },
    ],
  },
  {
    root: 'Mutation',
    field: 'revokeToken',
    query: 'mutation ($id: ID!) { revokeToken(tokenId: $id) { revokedAt } }',
    allowed: { as: 'alice', variables: (w) => ({ id: w.spareTokenId }) },
    refuses: [{ why: "a non-administrator, another identity's token", as: 'mallory', code: 'FORBIDDEN' }, nonAdmin('hpc')],
  },
  {
    root: 'Mutation',
    field: 'disableIdentity',
    query: 'mutation ($id: ID!) { disableIdentity(id: $id) { disabledAt } }',
    allowed: { as: 'admin', variables: (w) => ({ id: w.victimId }) },
    refuses: [nonAdmin('alice'), nonAdmin('hpc')],
  },

  // --- Mutation: a user's work ----------------------------------------------------------------------
  {
    root: 'Mutation',
    field: 'createNetwork',
    query: 'mutation ($s: String!, $input: NetworkInput!) { createNetwork(scope: $s, input: $input) { created } }',
    allowed: {
      as: 'alice',
      variables: () => ({
        s: scope,
        input: {
          name: 'acl',
          chemicalSystems: [
            { name: 'a', components: {} },
            { name: 'b', components: {} },
          ],
          transformations: [{ name: 'a->b', stateA: 'a', stateB: 'b', protocol, settings: {} }],
        },
      }),
    },
    refuses: [otherScopeUser(), computeDoingUserWork],
  },
  {
    root: 'Mutation',
    field: 'createTasks',
    query: 'mutation ($t: ID!, $extends: ID) { createTasks(transformationKey: $t, extends: $extends) { id } }',
    allowed: { as: 'alice', variables: (w) => ({ t: w.network.transformationKey }) },
    refuses: [
      otherScopeUser(),
      computeDoingUserWork,
      otherScopeUser(
        (w) => ({ t: w.malloryNetwork.transformationKey, extends: w.tasks.idle }),
        'NOT_FOUND',
        'a user of another scope, extending a task it cannot see',
      ),
    ],
  },
  {
    root: 'Mutation',
    field: 'actionTasks',
    query: 'mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }',
    allowed: { as: 'alice', variables: taskIdsOn('network') },
    refuses: [
      otherScopeUser(),
      computeDoingUserWork,
      otherScopeUser(taskIdsOn('malloryNetwork'), 'NOT_FOUND', 'a user of another scope, onto its own network'),
    ],
  },
  {
    root: 'Mutation',
    field: 'cancelTasks',
    query: 'mutation ($n: ID!, $ids: [ID!]!) { cancelTasks(networkKey: $n, taskIds: $ids) }',
    allowed: { as: 'alice', variables: taskIdsOn('network') },
    refuses: [
      otherScopeUser(),
      computeDoingUserWork,
      otherScopeUser(taskIdsOn('malloryNetwork'), 'NOT_FOUND', 'a user of another scope, from its own network'),
    ],
  },
  {
    root: 'Mutation',
    field: 'setTaskStatus',
    query: 'mutation ($ids: [ID!]!) { setTaskStatus(taskIds: $ids, status: WAITING) { id } }',
    allowed: { as: 'alice', variables: (w) => ({ ids: [w.tasks.idle] }) },
    refuses: [
      otherScopeUser(undefined, 'NOT_FOUND'),
      otherScopeUser(
        (w) => ({ ids: [w.tasks.mallory, w.tasks.idle] }),
        'NOT_FOUND',
        'a user of another scope, mixing in a task it cannot see',
      ),
      computeDoingUserWork,
    ],
  },
  {
    root: 'Mutation',
    field: 'setTaskPriority',
    query: 'mutation ($ids: [ID!]!) { setTaskPriority(taskIds: $ids, priority: 1) { id } }',
    allowed: { as: 'alice', variables: (w) => ({ ids: [w.tasks.idle] }) },
    refuses: [otherScopeUser(undefined, 'NOT_FOUND'), computeDoingUserWork],
  },
  {
    root: 'Mutation',
    field: 'setNetworkWeight',
    query: 'mutation ($n: ID!) { setNetworkWeight(networkKey: $n, weight: 0.5) { weight } }',
    allowed: { as: 'alice', variables: (w) => ({ n: w.network.key }) },
    refuses: [otherScopeUser(), computeDoingUserWork],
  },
  {
    root: 'Mutation',
    field: 'setNetworkState',
    query: 'mutation ($n: ID!) { setNetworkState(networkKeys: [$n], state: ACTIVE) { state } }',
    allowed: { as: 'alice', variables: (w) => ({ n: w.network.key }) },
    refuses: [otherScopeUser(), computeDoingUserWork],
  },
  {
    root: 'Mutation',
    field: 'addRestartPattern',
    query: 'mutation ($n: ID!) { addRestartPattern(networkKey: $n, pattern: "Timeout", maxRetries: 2) { id } }',
    allowed: { as: 'alice', variables: (w) => ({ n: w.network.key }) },
    refuses: [otherScopeUser(), computeDoingUserWork],
  },
  {
    root: 'Mutation',
    field: 'removeRestartPattern',
    query: 'mutation ($n: ID!) { removeRestartPattern(networkKey: $n, pattern: "OOM") }',
    allowed: { as: 'alice', variables: (w) => ({ n: w.network.key }) },
    refuses: [otherScopeUser(), computeDoingUserWork],
  },

  // --- Mutation: a compute service's work -----------------------------------------------------------
  {
    root: 'Mutation',
    field: 'registerComputeService',
    query: 'mutation { registerComputeService(name: "acl-node") { id } }',
    allowed: { as: 'hpc', variables: none },
    refuses: [userDoingComputeWork, { why: 'an administrator (a user identity) doing compute work', as: 'admin', code: 'FORBIDDEN' }],
  },
  {
    root: 'Mutation',
    field: 'registerComputeManager',
    query: 'mutation { registerComputeManager(name: "acl-manager", backend: "slurm") { id } }',
    allowed: { as: 'hpc', variables: none },
    refuses: [userDoingComputeWork, { why: 'an administrator (a user identity) doing compute work', as: 'admin', code: 'FORBIDDEN' }],
  },
  {
    root: 'Mutation',
    field: 'reportComputeManagerJobs',
    query:
      'mutation ($m: ID!) { reportComputeManagerJobs(computeManagerId: $m, jobs: [{ jobId: "1", state: RUNNING, submittedAt: "2026-01-01T00:00:00Z" }]) { id } }',
    allowed: { as: 'hpc', variables: (w) => ({ m: w.managers.live }) },
    refuses: [userDoingComputeWork, otherComputeIdentity('manager id')],
  },
  {
    root: 'Mutation',
    field: 'deregisterComputeManager',
    query: 'mutation ($m: ID!) { deregisterComputeManager(computeManagerId: $m) { status } }',
    allowed: { as: 'hpc', variables: (w) => ({ m: w.managers.spare }) },
    refuses: [userDoingComputeWork, otherComputeIdentity('manager id')],
  },
  {
    root: 'Mutation',
    field: 'heartbeat',
    query: 'mutation ($s: ID!) { heartbeat(computeServiceId: $s) { lastHeartbeatAt } }',
    allowed: { as: 'hpc', variables: (w) => ({ s: w.services.live }) },
    refuses: [userDoingComputeWork, otherComputeIdentity('service id'), goneService((w) => ({ s: w.services.gone }))],
  },
  {
    root: 'Mutation',
    field: 'deregisterComputeService',
    query: 'mutation ($s: ID!) { deregisterComputeService(computeServiceId: $s) { deregisteredAt } }',
    allowed: { as: 'hpc', variables: (w) => ({ s: w.services.spare }) },
    refuses: [
      userDoingComputeWork,
      otherComputeIdentity('service id'),
      {
        why: "another compute identity deregistering hpc's working service",
        as: 'rogue',
        variables: (w) => ({ s: w.services.live }),
        code: 'FORBIDDEN',
      },
    ],
  },
  {
    root: 'Mutation',
    field: 'claimTasks',
    query: 'mutation ($s: ID!, $p: [String!]) { claimTasks(computeServiceId: $s, protocols: $p) { token } }',
    allowed: { as: 'hpc', variables: (w) => ({ s: w.services.live, p: [protocol] }) },
    refuses: [userDoingComputeWork, otherComputeIdentity('service id'), goneService((w) => ({ s: w.services.gone, p: [protocol] }))],
  },
  claimWrite('setProtocolDAG', 'mutation ($c: String!, $dag: JSON!) { setProtocolDAG(claimToken: $c, dag: $dag) { sha256 } }', (c) => ({
    c,
    dag,
  })),
  claimWrite(
    'submitUnitResult',
    'mutation ($c: String!, $r: UnitResultInput!) { submitUnitResult(claimToken: $c, result: $r) { id } }',
    (c) => ({ c, r: okUnit('setup') }),
  ),
  // After submitUnitResult (setup ok) and before finishTask: sim is the unit the live claim may start.
  claimWrite('startUnit', 'mutation ($c: String!) { startUnit(claimToken: $c, unitKey: "sim") }', (c) => ({ c })),
  claimWrite(
    'createResultFileUpload',
    'mutation ($c: String!, $size: SafeInt!, $sha: String!) { createResultFileUpload(claimToken: $c, unitKey: "sim", path: "out/acl.txt", size: $size, sha256: $sha) { uploadId } }',
    (c) => ({ c, size: bytesOf('acl').size, sha: bytesOf('acl').sha256 }),
  ),
  claimWrite(
    'continueResultFileUpload',
    'mutation ($c: String!, $u: ID!) { continueResultFileUpload(claimToken: $c, uploadId: $u) { uploadId url } }',
    (c, w) => ({ c, u: c === w.claims.stale ? w.uploads.stale : w.uploads.live }),
    [
      {
        why: "another compute identity's upload, through its own live claim",
        as: 'rogue',
        variables: (w) => ({ c: w.claims.rogue, u: w.uploads.live }),
        code: 'NOT_FOUND',
      },
      {
        why: "another task's upload, through a live claim",
        as: 'hpc',
        variables: (w) => ({ c: w.claims.live, u: w.uploads.stale }),
        code: 'NOT_FOUND',
      },
    ],
  ),
  claimWrite(
    'commitResultFile',
    'mutation ($c: String!, $u: ID!) { commitResultFile(claimToken: $c, uploadId: $u) { sha256 } }',
    (c, w) => ({ c, u: c === w.claims.stale ? w.uploads.stale : w.uploads.live }),
    [
      {
        why: "another compute identity's upload, through its own live claim",
        as: 'rogue',
        variables: (w) => ({ c: w.claims.rogue, u: w.uploads.live }),
        code: 'NOT_FOUND',
      },
      {
        why: "another task's upload, through a live claim",
        as: 'hpc',
        variables: (w) => ({ c: w.claims.live, u: w.uploads.stale }),
        code: 'NOT_FOUND',
      },
    ],
  ),
  claimWrite(
    'finishTask',
    'mutation ($c: String!) { finishTask(claimToken: $c) { task { status } } }',
    (c) => ({ c }),
    [],
    async (w, run) => {
      await run('hpc', 'mutation ($c: String!, $r: UnitResultInput!) { submitUnitResult(claimToken: $c, result: $r) { id } }', {
        c: w.claims.live,
        r: okUnit('sim'),
      });
    },
  ),
  {
    root: 'Mutation',
    field: 'reportDagBuildFailure',
    query:
      'mutation ($c: String!, $e: String!) { reportDagBuildFailure(claimToken: $c, exception: $e, traceback: "Traceback: ValueError") { task { status } } }',
    // A claim of its own, on a task without a DAG (the live claim's task has one): made by prepare, after every refusal.
    allowed: {
      as: 'hpc',
      variables: (w) => ({ c: unbuildable.claimToken || w.claims.live, e: 'ValueError: no DAG' }),
      prepare: claimUnbuildableTask,
    },
    refuses: [
      { ...userDoingComputeWork, variables: (w) => ({ c: w.claims.live, e: 'ValueError: no DAG' }) },
      { ...otherComputeIdentity('claim'), variables: (w) => ({ c: w.claims.live, e: 'ValueError: no DAG' }) },
      staleClaim((w) => ({ c: w.claims.stale, e: 'ValueError: no DAG' })),
    ],
  },

  // --- Mutation: network import (a user's, in scopes it holds) ---------------------------------------
  {
    root: 'Mutation',
    field: 'createImportUpload',
    query:
      'mutation ($s: String!, $size: SafeInt!, $sha: String!) { createImportUpload(scope: $s, size: $size, sha256: $sha) { uploadId } }',
    allowed: { as: 'alice', variables: () => ({ s: scope, size: bytesOf('acl').size, sha: bytesOf('acl').sha256 }) },
    refuses: [otherScopeUser(), computeDoingUserWork],
  },
  {
    root: 'Mutation',
    field: 'continueImportUpload',
    query: 'mutation ($u: ID!) { continueImportUpload(uploadId: $u) { uploadId url } }',
    allowed: { as: 'alice', variables: (w) => ({ u: w.importUpload }) },
    refuses: [{ why: "another user's import upload", as: 'mallory', code: 'NOT_FOUND' }, computeDoingUserWork],
  },
  {
    root: 'Mutation',
    field: 'commitImportUpload',
    query: 'mutation ($u: ID!) { commitImportUpload(uploadId: $u) }',
    allowed: { as: 'alice', variables: (w) => ({ u: w.importUpload }) },
    refuses: [{ why: "another user's import upload", as: 'mallory', code: 'NOT_FOUND' }, computeDoingUserWork],
  },
  {
    root: 'Mutation',
    field: 'importTask',
    query: 'mutation ($t: ID!, $d: ID!) { importTask(transformationKey: $t, input: { documentUploadId: $d }) { created task { id } } }',
    allowed: {
      as: 'alice',
      variables: (w) => ({ t: w.network.transformationKey, d: archivedDocument.uploadId }),
      prepare: uploadArchivedTask,
    },
    refuses: [
      otherScopeUser((w) => ({ t: w.network.transformationKey, d: w.importUpload })),
      { ...computeDoingUserWork, variables: (w) => ({ t: w.network.transformationKey, d: w.importUpload }) },
    ],
  },

  // --- Input objects (docs/inputs.md): users in scopes they hold, compute services in scopes they serve -----
  {
    root: 'Query',
    field: 'inputObject',
    query: 'query ($s: String!, $h: String!) { inputObject(scope: $s, sha256: $h) { sha256 } }',
    allowed: { as: 'alice', variables: () => ({ s: scope, h: inputs.stored.sha256 }), prepare: storeInput },
    refuses: [otherScopeUser()],
  },
  {
    root: 'Query',
    field: 'inputObjectByKey',
    query: 'query ($s: String!, $k: String!) { inputObjectByKey(scope: $s, key: $k) { sha256 } }',
    allowed: { as: 'alice', variables: () => ({ s: scope, k: 'acl-key' }), prepare: storeInput },
    refuses: [otherScopeUser()],
  },
  {
    root: 'Mutation',
    field: 'createInputUpload',
    query: 'mutation ($i: InputUploadInput!) { createInputUpload(input: $i) { object { sha256 } upload { uploadId } } }',
    allowed: { as: 'alice', variables: () => ({ i: { scope, size: bytesOf('acl input').size, sha256: bytesOf('acl input').sha256 } }) },
    refuses: [otherScopeUser()],
  },
  {
    root: 'Mutation',
    field: 'continueInputUpload',
    query: 'mutation ($u: ID!) { continueInputUpload(uploadId: $u) { uploadId url } }',
    allowed: { as: 'alice', variables: (w) => ({ u: w.inputUpload }) },
    refuses: [{ why: "another user's input upload", as: 'mallory', code: 'NOT_FOUND' }],
  },
  {
    root: 'Mutation',
    field: 'commitInputUpload',
    query: 'mutation ($u: ID!) { commitInputUpload(uploadId: $u) { sha256 } }',
    allowed: { as: 'alice', variables: (w) => ({ u: w.inputUpload }) },
    refuses: [{ why: "another user's input upload", as: 'mallory', code: 'NOT_FOUND' }],
  },

  // --- Subscription (graphql-ws; accessControl.subscriptions.test.ts) --------------------------------
  {
    root: 'Subscription',
    field: 'taskEvents',
    query: 'subscription ($f: TaskEventFilter, $since: ID) { taskEvents(filter: $f, since: $since) { __typename cursor taskId scope } }',
    allowed: { as: 'alice', variables: (w) => ({ f: { taskId: w.tasks.idle }, since: '0' }) },
    refuses: [
      otherScopeUser(() => ({ f: { scope } })),
      otherScopeUser(() => ({ f: { scope: '*-*-*' } }), 'FORBIDDEN', 'a user asking for every scope'),
      otherScopeUser((w) => ({ f: { networkKey: w.network.key } }), 'FORBIDDEN', 'a user of another scope, by network'),
      otherScopeUser((w) => ({ f: { taskId: w.tasks.idle } }), 'NOT_FOUND', 'a user of another scope, by task'),
    ],
  },
];
