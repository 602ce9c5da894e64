import { readFileSync } from 'node:fs';
import { buildSchema, getNamedType, GraphQLInputObjectType, GraphQLObjectType } from 'graphql';
import type { GraphQLInputType } from 'graphql';
import { schemaPath } from '../../src/graphql/schema.js';
import { subscriptionCodes } from '../support/subscriptionCodes.js';
import { startTestApp } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';
import { buildWorld, okUnit, worldEnv } from './accessWorld.js';
import type { Caller, World } from './accessWorld.js';
import { codesOf, postOperation, withNothingChanged } from './badInputWorld.js';

/**
 * Every String the API takes, sent too long by a caller allowed to send it: free text (names, labels,
 * patterns, exceptions…) one past its limit is BAD_USER_INPUT naming the limit, and at the limit it is
 * accepted; shaped values (scopes, cursors, tokens, digests, references) of any length are refused by
 * their shape; read filters compare and store nothing. No refusal changes anything or repeats the long
 * value back. The coverage test fails when a String argument or input field is added without an entry.
 * docs/bad-input.md lists the limits.
 */

type Outcome =
  /** Free text bounded by `limit` characters (bytes, items): one past it refused, `limit` itself accepted unless `atLimit` says why it is not tried. */
  | { kind: 'limit'; limit: number; unit?: 'characters' | 'bytes' | 'items'; fill?: (length: number) => string; atLimit?: string }
  /** Refused at any length by its shape (or, for a reference, by naming nothing). */
  | { kind: 'shape' }
  /** Only compared, never stored: a long value is accepted and matches nothing. */
  | { kind: 'filter' };

interface TextEntry {
  /** `Type.field(argument)`, `Type.field(argument.inputField)`, with ` (count)` for a bound on a list's length. */
  place: string;
  as: Caller;
  query: string;
  variables: (value: string, w: World) => Record<string, unknown>;
  outcome: Outcome;
  overWebSocket?: boolean;
}

const MiB = 1024 * 1024;
const unitTextBytes = 4 * MiB;
const repeat = (char: string) => (length: number) => char.repeat(length);
/** A ResultFile path of exactly `length` bytes whose segments stay within 255 bytes. */
/** A canonical path of exactly `length` bytes: 200-byte segments, then what is left. */
const pathOf = (length: number) => {
  const segments: string[] = [];
  let left = length;
  for (; left > 201; left -= 201) segments.push('p'.repeat(200));
  return [...segments, 'p'.repeat(left)].join('/');
};
const networkInput = (
  overrides: { name?: string; system?: string; transformation?: string; protocol?: string; stateA?: string; stateB?: string } = {},
) => ({
  name: overrides.name ?? `net ${Math.random()}`,
  chemicalSystems: [
    { name: overrides.system ?? 'a', components: {} },
    { name: 'b', components: {} },
  ],
  transformations: [
    {
      name: overrides.transformation ?? 'a->b',
      stateA: overrides.stateA ?? overrides.system ?? 'a',
      stateB: overrides.stateB ?? 'b',
      protocol: overrides.protocol ?? 'limits',
      settings: {},
    },
  ],
});
const createNetwork = 'mutation ($s: String!, $input: NetworkInput!) { createNetwork(scope: $s, input: $input) { created } }';
const failedUnit = (fields: Record<string, string>) => ({ ...okUnit('sim'), ok: false, outputs: null, exception: 'it broke', ...fields });
const count = (
  limit: number,
  place: string,
  as: Caller,
  query: string,
  variables: (list: string[], w: World) => Record<string, unknown>,
  item: (i: number) => string,
): TextEntry => ({
  place: `${place} (count)`,
  as,
  query,
  variables: (value, w) =>
    variables(
      Array.from({ length: Number(value) }, (_, i) => item(i)),
      w,
    ),
  outcome: { kind: 'limit', limit, unit: 'items', fill: (length) => String(length) },
});
const claimTokenEntry = (field: string, query: string, variables: (value: string, w: World) => Record<string, unknown>): TextEntry => ({
  place: `Mutation.${field}(claimToken)`,
  as: 'hpc',
  query,
  variables,
  outcome: { kind: 'shape' },
});

const entries: TextEntry[] = [
  {
    place: 'Query.networks(scope)',
    as: 'alice',
    query: 'query ($s: String) { networks(scope: $s) { name } }',
    variables: (v) => ({ s: v }),
    outcome: { kind: 'shape' },
  },
  ...(['networks', 'transformations', 'chemicalSystems'] as const).flatMap((field): TextEntry[] => {
    const kind = { networks: 'AlchemicalNetwork', transformations: 'Transformation', chemicalSystems: 'ChemicalSystem' }[field];
    return [
      {
        place: `Query.${field}(name)`,
        as: 'alice',
        query: `query ($n: String) { ${field}(name: $n) { name } }`,
        variables: (v) => ({ n: v }),
        outcome: { kind: 'limit', limit: 200, fill: repeat('n') },
      },
      {
        place: `Query.${field}(key)`,
        as: 'alice',
        query: `query ($k: String) { ${field}(key: $k) { name } }`,
        variables: (v) => ({ k: `${kind}-${v}` }),
        outcome: { kind: 'shape' },
      },
      ...(field === 'networks'
        ? []
        : [
            {
              place: `Query.${field}(scope)`,
              as: 'alice' as const,
              query: `query ($s: String) { ${field}(scope: $s) { name } }`,
              variables: (v: string) => ({ s: v }),
              outcome: { kind: 'shape' as const },
            },
          ]),
    ];
  }),
  {
    place: 'Query.tasks(after)',
    as: 'alice',
    query: 'query ($a: String) { tasks(after: $a) { totalCount } }',
    variables: (v) => ({ a: v }),
    outcome: { kind: 'shape' },
  },
  {
    place: 'Query.tasks(before)',
    as: 'alice',
    query: 'query ($b: String) { tasks(last: 1, before: $b) { totalCount } }',
    variables: (v) => ({ b: v }),
    outcome: { kind: 'shape' },
  },
  {
    place: 'Query.tasks(filter.scope)',
    as: 'alice',
    query: 'query ($s: String) { tasks(filter: { scope: $s }) { totalCount } }',
    variables: (v) => ({ s: v }),
    outcome: { kind: 'shape' },
  },
  {
    place: 'Query.computeServicesAtWork(scope)',
    as: 'alice',
    query: 'query ($s: String) { computeServicesAtWork(scope: $s) { id } }',
    variables: (v) => ({ s: v }),
    outcome: { kind: 'shape' },
  },
  {
    place: 'Query.statusCounts(scope)',
    as: 'alice',
    query: 'query ($s: String) { statusCounts(scope: $s) { waiting } }',
    variables: (v) => ({ s: v }),
    outcome: { kind: 'shape' },
  },
  {
    place: 'Task.resultFiles(unitKey)',
    as: 'alice',
    query: 'query ($id: ID!, $u: String) { task(id: $id) { resultFiles(unitKey: $u) { id } } }',
    variables: (v, w) => ({ id: w.tasks.live, u: v }),
    outcome: { kind: 'filter' },
  },

  {
    place: 'Mutation.createIdentity(input.name)',
    as: 'admin',
    query: 'mutation ($i: CreateIdentityInput!) { createIdentity(input: $i) { token } }',
    variables: (v) => ({ i: { kind: 'USER', name: v, scopes: ['acme-c1-p1'] } }),
    outcome: { kind: 'limit', limit: 128, fill: repeat('n') },
  },
  {
    place: 'Mutation.createIdentity(input.scopes)',
    as: 'admin',
    query: 'mutation ($i: CreateIdentityInput!) { createIdentity(input: $i) { token } }',
    variables: (v) => ({ i: { kind: 'USER', name: 'scoped', scopes: [v] } }),
    outcome: { kind: 'shape' },
  },
  count(
    100,
    'Mutation.createIdentity(input.scopes)',
    'admin',
    'mutation ($i: CreateIdentityInput!) { createIdentity(input: $i) { token } }',
    (scopes) => ({ i: { kind: 'USER', name: `many-scopes-${scopes.length}`, scopes } }),
    (i) => `acme-c${i}-p1`,
  ),
  {
    place: 'Mutation.issueToken(label)',
    as: 'admin',
    query: 'mutation ($id: ID!, $l: String) { issueToken(identityId: $id, label: $l) { token } }',
    variables: (v, w) => ({ id: w.identityIds.alice, l: v }),
    outcome: { kind: 'limit', limit: 200, fill: repeat('l') },
  },

  {
    place: 'Mutation.createNetwork(scope)',
    as: 'alice',
    query: createNetwork,
    variables: (v) => ({ s: v, input: networkInput() }),
    outcome: { kind: 'shape' },
  },
  {
    place: 'Mutation.createNetwork(input.name)',
    as: 'alice',
    query: createNetwork,
    variables: (v) => ({ s: 'acme-c1-p1', input: networkInput({ name: v }) }),
    outcome: { kind: 'limit', limit: 200, fill: repeat('n') },
  },
  {
    place: 'Mutation.createNetwork(input.chemicalSystems.name)',
    as: 'alice',
    query: createNetwork,
    variables: (v) => ({ s: 'acme-c1-p1', input: networkInput({ system: v }) }),
    outcome: { kind: 'limit', limit: 200, fill: repeat('s') },
  },
  {
    place: 'Mutation.createNetwork(input.transformations.name)',
    as: 'alice',
    query: createNetwork,
    variables: (v) => ({ s: 'acme-c1-p1', input: networkInput({ transformation: v }) }),
    outcome: { kind: 'limit', limit: 200, fill: repeat('t') },
  },
  {
    place: 'Mutation.createNetwork(input.transformations.stateA)',
    as: 'alice',
    query: createNetwork,
    variables: (v) => ({ s: 'acme-c1-p1', input: networkInput({ stateA: v }) }),
    outcome: { kind: 'shape' },
  },
  {
    place: 'Mutation.createNetwork(input.transformations.stateB)',
    as: 'alice',
    query: createNetwork,
    variables: (v) => ({ s: 'acme-c1-p1', input: networkInput({ stateB: v }) }),
    outcome: { kind: 'shape' },
  },
  {
    place: 'Mutation.createNetwork(input.transformations.protocol)',
    as: 'alice',
    query: createNetwork,
    variables: (v) => ({ s: 'acme-c1-p1', input: networkInput({ protocol: v }) }),
    outcome: { kind: 'limit', limit: 100, fill: repeat('p') },
  },
  {
    place: 'Mutation.addRestartPattern(pattern)',
    as: 'alice',
    query: 'mutation ($n: ID!, $p: String!) { addRestartPattern(networkKey: $n, pattern: $p, maxRetries: 1) { id } }',
    variables: (v, w) => ({ n: w.network.key, p: v }),
    outcome: { kind: 'limit', limit: 1000, fill: repeat('a') },
  },
  {
    place: 'Mutation.removeRestartPattern(pattern)',
    as: 'alice',
    query: 'mutation ($n: ID!, $p: String!) { removeRestartPattern(networkKey: $n, pattern: $p) }',
    variables: (v, w) => ({ n: w.network.key, p: v }),
    outcome: { kind: 'limit', limit: 1000, fill: repeat('a') },
  },

  {
    place: 'Mutation.registerComputeService(name)',
    as: 'hpc',
    query: 'mutation ($n: String!) { registerComputeService(name: $n) { id } }',
    variables: (v) => ({ n: v }),
    outcome: { kind: 'limit', limit: 200, fill: repeat('c') },
  },
  {
    place: 'Mutation.registerComputeService(host)',
    as: 'hpc',
    query: 'mutation ($h: String) { registerComputeService(name: "with-host", host: $h) { id } }',
    variables: (v) => ({ h: v }),
    outcome: { kind: 'limit', limit: 255, fill: repeat('h') },
  },
  {
    place: 'Mutation.registerComputeService(protocols)',
    as: 'hpc',
    query: 'mutation ($p: [String!]) { registerComputeService(name: "with-protocols", protocols: $p) { id } }',
    variables: (v) => ({ p: [v] }),
    outcome: { kind: 'limit', limit: 100, fill: repeat('p') },
  },
  count(
    100,
    'Mutation.registerComputeService(protocols)',
    'hpc',
    'mutation ($p: [String!]) { registerComputeService(name: "many-protocols", protocols: $p) { id } }',
    (protocols) => ({ p: protocols }),
    (i) => `protocol${i}`,
  ),
  {
    place: 'Mutation.claimTasks(protocols)',
    as: 'hpc',
    query: 'mutation ($s: ID!, $p: [String!]) { claimTasks(computeServiceId: $s, protocols: $p) { token } }',
    variables: (v, w) => ({ s: w.services.spare, p: [v] }),
    outcome: { kind: 'limit', limit: 100, fill: repeat('p') },
  },
  count(
    100,
    'Mutation.claimTasks(protocols)',
    'hpc',
    'mutation ($s: ID!, $p: [String!]) { claimTasks(computeServiceId: $s, protocols: $p) { token } }',
    (protocols, w) => ({ s: w.services.spare, p: protocols }),
    (i) => `protocol${i}`,
  ),

  {
    place: 'Query.claimableTaskCounts(protocols)',
    as: 'hpc',
    query: 'query ($p: [String!]) { claimableTaskCounts(protocols: $p) { count } }',
    variables: (v) => ({ p: [v] }),
    outcome: { kind: 'limit', limit: 100, fill: repeat('p') },
  },
  count(
    100,
    'Query.claimableTaskCounts(protocols)',
    'hpc',
    'query ($p: [String!]) { claimableTaskCounts(protocols: $p) { count } }',
    (protocols) => ({ p: protocols }),
    (i) => `protocol${i}`,
  ),
  {
    place: 'Query.claimableTaskCounts(scope)',
    as: 'hpc',
    query: 'query ($s: String) { claimableTaskCounts(scope: $s) { count } }',
    variables: (v) => ({ s: v }),
    outcome: { kind: 'shape' },
  },
  {
    place: 'Mutation.registerComputeManager(name)',
    as: 'hpc',
    query: 'mutation ($n: String!) { registerComputeManager(name: $n, backend: "slurm") { id } }',
    variables: (v) => ({ n: v }),
    outcome: { kind: 'limit', limit: 100, fill: repeat('m') },
  },
  {
    place: 'Mutation.registerComputeManager(backend)',
    as: 'hpc',
    query: 'mutation ($b: String!) { registerComputeManager(name: "with-backend", backend: $b) { id } }',
    variables: (v) => ({ b: v }),
    outcome: { kind: 'limit', limit: 32, fill: repeat('b') },
  },
  {
    place: 'Mutation.registerComputeManager(host)',
    as: 'hpc',
    query: 'mutation ($h: String) { registerComputeManager(name: "with-host", backend: "slurm", host: $h) { id } }',
    variables: (v) => ({ h: v }),
    outcome: { kind: 'limit', limit: 255, fill: repeat('h') },
  },
  {
    place: 'Mutation.reportComputeManagerJobs(jobs.jobId)',
    as: 'hpc',
    query:
      'mutation ($m: ID!, $j: String!) { reportComputeManagerJobs(computeManagerId: $m, jobs: [{ jobId: $j, state: PENDING, submittedAt: "2026-01-01T00:00:00Z" }]) { id } }',
    variables: (v, w) => ({ m: w.managers.live, j: v }),
    outcome: { kind: 'limit', limit: 100, fill: repeat('j') },
  },
  {
    place: 'Mutation.reportComputeManagerJobs(jobs.reason)',
    as: 'hpc',
    query:
      'mutation ($m: ID!, $r: String) { reportComputeManagerJobs(computeManagerId: $m, jobs: [{ jobId: "1", state: FAILED, reason: $r, submittedAt: "2026-01-01T00:00:00Z" }]) { id } }',
    variables: (v, w) => ({ m: w.managers.live, r: v }),
    outcome: { kind: 'limit', limit: 1000, fill: repeat('r') },
  },

  claimTokenEntry(
    'setProtocolDAG',
    'mutation ($c: String!) { setProtocolDAG(claimToken: $c, dag: { units: [{ key: "a", name: "A", dependencies: [] }] }) { sha256 } }',
    (v) => ({ c: v }),
  ),
  claimTokenEntry(
    'submitUnitResult',
    'mutation ($c: String!, $r: UnitResultInput!) { submitUnitResult(claimToken: $c, result: $r) { id } }',
    (v) => ({ c: v, r: okUnit('setup') }),
  ),
  claimTokenEntry(
    'createResultFileUpload',
    'mutation ($c: String!) { createResultFileUpload(claimToken: $c, unitKey: "sim", path: "a.txt", size: 1) { uploadId } }',
    (v) => ({ c: v }),
  ),
  claimTokenEntry(
    'continueResultFileUpload',
    'mutation ($c: String!, $u: ID!) { continueResultFileUpload(claimToken: $c, uploadId: $u) { uploadId } }',
    (v, w) => ({ c: v, u: w.uploads.live }),
  ),
  claimTokenEntry(
    'commitResultFile',
    'mutation ($c: String!, $u: ID!) { commitResultFile(claimToken: $c, uploadId: $u) { id } }',
    (v, w) => ({ c: v, u: w.uploads.live }),
  ),
  claimTokenEntry('finishTask', 'mutation ($c: String!) { finishTask(claimToken: $c) { restartedBy } }', (v) => ({ c: v })),
  claimTokenEntry('startUnit', 'mutation ($c: String!) { startUnit(claimToken: $c, unitKey: "sim") }', (v) => ({ c: v })),
  {
    place: 'Mutation.startUnit(unitKey)',
    as: 'hpc',
    query: 'mutation ($c: String!, $u: String!) { startUnit(claimToken: $c, unitKey: $u) }',
    variables: (v, w) => ({ c: w.claims.live, u: v }),
    outcome: { kind: 'limit', limit: 200, fill: repeat('u'), atLimit: 'no unit of the DAG has so long a key' },
  },
  claimTokenEntry(
    'reportDagBuildFailure',
    'mutation ($c: String!) { reportDagBuildFailure(claimToken: $c, exception: "no DAG") { restartedBy } }',
    (v) => ({ c: v }),
  ),

  {
    place: 'Mutation.submitUnitResult(result.unitKey)',
    as: 'hpc',
    query: 'mutation ($c: String!, $r: UnitResultInput!) { submitUnitResult(claimToken: $c, result: $r) { id } }',
    variables: (v, w) => ({ c: w.claims.live, r: okUnit(v) }),
    outcome: { kind: 'limit', limit: 200, fill: repeat('u'), atLimit: 'no unit of the DAG has so long a key' },
  },
  ...(['exception', 'traceback', 'log'] as const).map((field): TextEntry => ({
    place: `Mutation.submitUnitResult(result.${field})`,
    as: 'hpc',
    query: 'mutation ($c: String!, $r: UnitResultInput!) { submitUnitResult(claimToken: $c, result: $r) { id } }',
    variables: (v, w) => ({ c: w.claims.live, r: failedUnit({ [field]: v }) }),
    outcome: {
      kind: 'limit',
      limit: unitTextBytes,
      unit: 'bytes',
      fill: repeat('e'),
      atLimit: 'a failed result at the limit is what badInput.test.ts stores',
    },
  })),
  {
    place: 'Mutation.createResultFileUpload(unitKey)',
    as: 'hpc',
    query:
      'mutation ($c: String!, $u: String!) { createResultFileUpload(claimToken: $c, unitKey: $u, path: "a.txt", size: 1) { uploadId } }',
    variables: (v, w) => ({ c: w.claims.live, u: v }),
    outcome: { kind: 'limit', limit: 200, fill: repeat('u'), atLimit: 'no unit of the DAG has so long a key' },
  },
  {
    place: 'Mutation.createResultFileUpload(path)',
    as: 'hpc',
    query: 'mutation ($c: String!, $p: String!) { createResultFileUpload(claimToken: $c, unitKey: "sim", path: $p, size: 1) { uploadId } }',
    variables: (v, w) => ({ c: w.claims.live, p: v }),
    outcome: { kind: 'limit', limit: 512, unit: 'bytes', fill: pathOf },
  },
  {
    place: 'Mutation.createResultFileUpload(sha256)',
    as: 'hpc',
    query:
      'mutation ($c: String!, $h: String) { createResultFileUpload(claimToken: $c, unitKey: "sim", path: "h.txt", size: 1, sha256: $h) { uploadId } }',
    variables: (v, w) => ({ c: w.claims.live, h: v }),
    outcome: { kind: 'shape' },
  },
  {
    place: 'Mutation.commitResultFile(sha256)',
    as: 'hpc',
    query: 'mutation ($c: String!, $u: ID!, $h: String) { commitResultFile(claimToken: $c, uploadId: $u, sha256: $h) { id } }',
    variables: (v, w) => ({ c: w.claims.live, u: w.uploads.live, h: v }),
    outcome: { kind: 'shape' },
  },
  {
    place: 'Mutation.commitResultFile(parts.etag)',
    as: 'hpc',
    query:
      'mutation ($c: String!, $u: ID!, $parts: [UploadedPartInput!], $h: String) { commitResultFile(claimToken: $c, uploadId: $u, parts: $parts, sha256: $h) { id } }',
    variables: (v, w) => ({
      c: w.claims.live,
      u: multipartUploadId,
      h: '0'.repeat(64),
      parts: [
        { partNumber: 1, etag: v },
        { partNumber: 2, etag: '"e2"' },
      ],
    }),
    outcome: {
      kind: 'limit',
      limit: 200,
      fill: repeat('e'),
      atLimit: 'no part was uploaded, so a commit with fitting ETags is refused for that',
    },
  },
  {
    place: 'Mutation.createImportUpload(scope)',
    as: 'alice',
    query:
      'mutation ($s: String!) { createImportUpload(scope: $s, size: 1, sha256: "0000000000000000000000000000000000000000000000000000000000000000") { uploadId } }',
    variables: (v) => ({ s: v }),
    outcome: { kind: 'shape' },
  },
  {
    place: 'Mutation.createImportUpload(sha256)',
    as: 'alice',
    query: 'mutation ($h: String!) { createImportUpload(scope: "acme-c1-p1", size: 1, sha256: $h) { uploadId } }',
    variables: (v) => ({ h: v }),
    outcome: { kind: 'shape' },
  },
  {
    place: 'Mutation.commitImportUpload(parts.etag)',
    as: 'alice',
    query: 'mutation ($u: ID!, $parts: [UploadedPartInput!]) { commitImportUpload(uploadId: $u, parts: $parts) }',
    variables: (v) => ({
      u: multipartImportUploadId,
      parts: [
        { partNumber: 1, etag: v },
        { partNumber: 2, etag: '"e2"' },
      ],
    }),
    outcome: {
      kind: 'limit',
      limit: 200,
      fill: repeat('e'),
      atLimit: 'no part was uploaded, so a commit with fitting ETags is refused for that',
    },
  },
  {
    place: 'Query.inputObject(scope)',
    as: 'alice',
    query: `query ($s: String!) { inputObject(scope: $s, sha256: "${'0'.repeat(64)}") { sha256 } }`,
    variables: (v) => ({ s: v }),
    outcome: { kind: 'shape' },
  },
  {
    place: 'Query.inputObject(sha256)',
    as: 'alice',
    query: 'query ($h: String!) { inputObject(scope: "acme-c1-p1", sha256: $h) { sha256 } }',
    variables: (v) => ({ h: v }),
    outcome: { kind: 'shape' },
  },
  {
    place: 'Query.inputObjectByKey(scope)',
    as: 'alice',
    query: 'query ($s: String!) { inputObjectByKey(scope: $s, key: "k") { sha256 } }',
    variables: (v) => ({ s: v }),
    outcome: { kind: 'shape' },
  },
  {
    place: 'Query.inputObjectByKey(key)',
    as: 'alice',
    query: 'query ($k: String!) { inputObjectByKey(scope: "acme-c1-p1", key: $k) { sha256 } }',
    variables: (v) => ({ k: v }),
    outcome: { kind: 'limit', limit: 200, fill: repeat('k') },
  },
  ...(['scope', 'sha256', 'key'] as const).map((field): TextEntry => ({
    place: `Mutation.createInputUpload(input.${field})`,
    as: 'alice',
    query: 'mutation ($i: InputUploadInput!) { createInputUpload(input: $i) { upload { uploadId } } }',
    variables: (v) => ({ i: { scope: 'acme-c1-p1', sha256: '1'.repeat(64), size: 1, [field]: v } }),
    outcome: field === 'key' ? { kind: 'limit', limit: 200, fill: repeat('k') } : { kind: 'shape' },
  })),
  {
    place: 'Mutation.commitInputUpload(parts.etag)',
    as: 'alice',
    query: 'mutation ($u: ID!, $parts: [UploadedPartInput!]) { commitInputUpload(uploadId: $u, parts: $parts) { sha256 } }',
    variables: (v) => ({
      u: multipartInputUploadId,
      parts: [
        { partNumber: 1, etag: v },
        { partNumber: 2, etag: '"e2"' },
      ],
    }),
    outcome: {
      kind: 'limit',
      limit: 200,
      fill: repeat('e'),
      atLimit: 'no part was uploaded, so a commit with fitting ETags is refused for that',
    },
  },
  {
    place: 'Mutation.importTask(input.files.unitKey)',
    as: 'alice',
    query:
      'mutation ($t: ID!, $d: ID!, $k: String!) { importTask(transformationKey: $t, input: { documentUploadId: $d, files: [{ unitKey: $k, path: "a.txt", uploadId: $d }] }) { created } }',
    variables: (v, w) => ({ t: w.network.transformationKey, d: w.importUpload, k: v }),
    outcome: { kind: 'limit', limit: 200, fill: repeat('u'), atLimit: 'one upload named twice is refused for that' },
  },
  {
    place: 'Mutation.importTask(input.files.path)',
    as: 'alice',
    query:
      'mutation ($t: ID!, $d: ID!, $p: String!) { importTask(transformationKey: $t, input: { documentUploadId: $d, files: [{ unitKey: "sim", path: $p, uploadId: $d }] }) { created } }',
    variables: (v, w) => ({ t: w.network.transformationKey, d: w.importUpload, p: v }),
    outcome: { kind: 'limit', limit: 512, unit: 'bytes', fill: pathOf, atLimit: 'one upload named twice is refused for that' },
  },
  ...(['exception', 'traceback'] as const).map((field): TextEntry => ({
    place: `Mutation.reportDagBuildFailure(${field})`,
    as: 'hpc',
    query:
      'mutation ($c: String!, $e: String!, $t: String) { reportDagBuildFailure(claimToken: $c, exception: $e, traceback: $t) { restartedBy } }',
    variables: (v, w) => ({ c: w.claims.live, e: field === 'exception' ? v : 'no DAG', t: field === 'traceback' ? v : null }),
    outcome: {
      kind: 'limit',
      limit: unitTextBytes,
      unit: 'bytes',
      fill: repeat('e'),
      atLimit: 'the live claim has its DAG, so a report is refused for that',
    },
  })),

  {
    place: 'Subscription.taskEvents(filter.scope)',
    as: 'alice',
    query: 'subscription ($s: String) { taskEvents(filter: { scope: $s }) { cursor } }',
    variables: (v) => ({ s: v }),
    outcome: { kind: 'shape' },
    overWebSocket: true,
  },
];

/** Set in beforeAll: an upload big enough to go in parts (two of 5 MiB), none of them sent. */
let multipartUploadId = '';
/** The same, as an import upload of alice's. */
let multipartImportUploadId = '';
let multipartInputUploadId = '';

/** Where schema.graphql takes a String: arguments of every field, and String fields of input objects at any depth. */
function stringPlacesInSchema(): string[] {
  const schema = buildSchema(readFileSync(schemaPath, 'utf8'));
  const places: string[] = [];
  const collect = (at: string, path: string, type: GraphQLInputType, within: ReadonlySet<string>): void => {
    const named = getNamedType(type);
    if (named.name === 'String') places.push(`${at}(${path})`);
    if (named instanceof GraphQLInputObjectType && !within.has(named.name)) {
      for (const inner of Object.values(named.getFields()))
        collect(at, `${path}.${inner.name}`, inner.type, new Set([...within, named.name]));
    }
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (!(type instanceof GraphQLObjectType) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      for (const arg of field.args) collect(`${type.name}.${field.name}`, arg.name, arg.type, new Set());
    }
  }
  return places;
}

const longest = 100_000;

describe('coverage: every String argument of schema.graphql has an entry', () => {
  test('each String argument (and String field of an input object) is tried too long below', () => {
    const covered = new Set(entries.map((entry) => entry.place));
    expect({ withoutAnEntry: stringPlacesInSchema().filter((place) => !covered.has(place)) }).toEqual({ withoutAnEntry: [] });
  });
});

describe('text too long is BAD_USER_INPUT naming the limit, and changes nothing', () => {
  let server: TestApp;
  let w: World;
  beforeAll(async () => {
    // Bodies up to 16 MiB, so the 4 MiB limits on a unit's texts are reached before the body limit.
    server = await startTestApp('postgres', {
      ...worldEnv,
      DAGKEEPER_MAX_REQUEST_BYTES: String(16 * MiB),
      DAGKEEPER_MULTIPART_PART_BYTES: String(5 * MiB),
    });
    w = await buildWorld(server);
    const { createResultFileUpload } = await server
      .client(w.tokens.hpc!)
      .request<{ createResultFileUpload: { uploadId: string; parts: unknown[] } }>(
        'mutation ($c: String!, $size: SafeInt!) { createResultFileUpload(claimToken: $c, unitKey: "sim", path: "big.bin", size: $size) { uploadId parts { partNumber } } }',
        { c: w.claims.live, size: 10 * MiB },
      );
    expect(createResultFileUpload.parts).toHaveLength(2);
    multipartUploadId = createResultFileUpload.uploadId;
    const { createImportUpload } = await server
      .client(w.tokens.alice!)
      .request<{ createImportUpload: { uploadId: string; parts: unknown[] } }>(
        'mutation ($size: SafeInt!) { createImportUpload(scope: "acme-c1-p1", size: $size, sha256: "0000000000000000000000000000000000000000000000000000000000000000") { uploadId parts { partNumber } } }',
        { size: 10 * MiB },
      );
    expect(createImportUpload.parts).toHaveLength(2);
    multipartImportUploadId = createImportUpload.uploadId;
    const { createInputUpload } = await server
      .client(w.tokens.alice!)
      .request<{ createInputUpload: { upload: { uploadId: string; parts: unknown[] } } }>(
        'mutation ($i: InputUploadInput!) { createInputUpload(input: $i) { upload { uploadId parts { partNumber } } } }',
        { i: { scope: 'acme-c1-p1', size: 10 * MiB, sha256: '2'.repeat(64) } },
      );
    expect(createInputUpload.upload.parts).toHaveLength(2);
    multipartInputUploadId = createInputUpload.upload.uploadId;
  });
  afterAll(async () => {
    await server.close();
  });

  async function refusal(entry: TextEntry, value: string): Promise<{ message: string }> {
    return withNothingChanged(server, async () => {
      const answer = await postOperation(server, w.tokens[entry.as]!, entry.query, entry.variables(value, w));
      expect({ codes: codesOf(answer), below500: answer.status < 500 }).toEqual({ codes: ['BAD_USER_INPUT'], below500: true });
      return answer.body.errors![0] as { message: string };
    });
  }

  const limited = entries.filter((entry) => entry.outcome.kind === 'limit');
  describe.each(limited.map((entry) => [entry.place, entry] as const))('%s', (_, entry) => {
    const outcome = entry.outcome as Extract<Outcome, { kind: 'limit' }>;
    const fill = outcome.fill ?? repeat('x');
    test(`one past ${outcome.limit} ${outcome.unit ?? 'characters'} is refused naming the limit, without repeating the value`, async () => {
      const { message } = await refusal(entry, fill(outcome.limit + 1));
      expect(message).toContain(String(outcome.limit));
      expect(message.length).toBeLessThan(400);
    });
    if (outcome.atLimit === undefined) {
      test(`${outcome.limit} ${outcome.unit ?? 'characters'} are accepted`, async () => {
        const answer = await postOperation(server, w.tokens[entry.as]!, entry.query, entry.variables(fill(outcome.limit), w));
        expect(answer.body.errors).toBeUndefined();
      });
    }
  });

  const shaped = entries.filter((entry) => entry.outcome.kind === 'shape');
  test.each(shaped.filter((entry) => entry.overWebSocket !== true).map((entry) => [entry.place, entry] as const))(
    '%s: 100,000 characters are refused by their shape, without repeating them',
    async (_, entry) => {
      const { message } = await refusal(entry, 'x'.repeat(longest));
      expect(message.length).toBeLessThan(400);
    },
  );
  test.each(shaped.filter((entry) => entry.overWebSocket === true).map((entry) => [entry.place, entry] as const))(
    '%s: 100,000 characters are refused by their shape when subscribing',
    async (_, entry) => {
      expect(await subscriptionCodes(server.app.url, w.tokens[entry.as]!, entry.query, entry.variables('x'.repeat(longest), w))).toEqual([
        'BAD_USER_INPUT',
      ]);
    },
  );

  test.each(entries.filter((entry) => entry.outcome.kind === 'filter').map((entry) => [entry.place, entry] as const))(
    '%s: a filter only compares, so 100,000 characters match nothing and store nothing',
    async (_, entry) => {
      await withNothingChanged(server, async () => {
        const answer = await postOperation(server, w.tokens[entry.as]!, entry.query, entry.variables('x'.repeat(longest), w));
        expect(answer.body.errors).toBeUndefined();
      });
    },
  );
});
