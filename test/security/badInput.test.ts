import { startTestApp } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';
import {
  buildBadInputWorld,
  codesOf,
  nestedArraysJson,
  networkInput,
  postOperation,
  postRaw,
  sha256Of,
  withNothingChanged,
} from './badInputWorld.js';
import type { BadInputWorld } from './badInputWorld.js';

/**
 * Bad input in the arguments of the API, sent to a real server on PostgreSQL: each is refused with its
 * code, and the state store and the object store are exactly as they were (stateDigest).
 */

const MiB = 1024 * 1024;
let server: TestApp;
let world: BadInputWorld;

beforeAll(async () => {
  // Bodies up to 4 MiB, so the 1 MiB limits on each JSON argument are reached before the body limit.
  server = await startTestApp('postgres', { DAGKEEPER_MAX_REQUEST_BYTES: String(4 * MiB), DAGKEEPER_COMPUTE_EXPIRY_SECONDS: '3600' });
  world = await buildBadInputWorld(server);
});
afterAll(async () => {
  await server.close();
});

type Refusal = { message: string; extensions: Record<string, unknown> };

/** Sends the request, expects exactly one refusal with `code` and no change at all; returns the refusal. */
async function refused(token: string, body: string, code = 'BAD_USER_INPUT'): Promise<Refusal> {
  return withNothingChanged(server, async () => {
    const answer = await postRaw(server, token, body);
    expect(codesOf(answer)).toEqual([code]);
    expect(answer.status).toBeLessThan(500);
    return answer.body.errors![0] as Refusal;
  });
}

const operation = (query: string, variables: Record<string, unknown>) => JSON.stringify({ query, variables });

const createTasks = 'mutation ($t: ID!, $dag: JSON) { createTasks(transformationKey: $t, dag: $dag) { id } }';
const setProtocolDag = 'mutation ($c: String!, $dag: JSON!) { setProtocolDAG(claimToken: $c, dag: $dag) { sha256 } }';
const createNetwork = 'mutation ($input: NetworkInput!) { createNetwork(scope: "acme-c1-p1", input: $input) { created } }';
const submitResult = 'mutation ($c: String!, $r: UnitResultInput!) { submitUnitResult(claimToken: $c, result: $r) { id } }';
const createUpload = `mutation ($c: String!, $unit: String!, $path: String!, $size: SafeInt!, $sha: String!) {
  createResultFileUpload(claimToken: $c, unitKey: $unit, path: $path, size: $size, sha256: $sha) { uploadId url } }`;
const commitUpload = 'mutation ($c: String!, $u: ID!) { commitResultFile(claimToken: $c, uploadId: $u) { path size sha256 } }';

const unit = (key: string, dependencies: string[] = [], extra: Record<string, unknown> = {}) => ({
  key,
  name: `unit ${key}`,
  dependencies,
  ...extra,
});
const okResult = (unitKey: string, outputs: unknown) => {
  const now = new Date().toISOString();
  return { unitKey, ok: true, outputs, startedAt: now, endedAt: now };
};

describe('ProtocolDAGs that are not DAGs, or not ours to store', () => {
  const badDags: Array<[string, unknown, RegExp]> = [
    ['a cycle', { units: [unit('a', ['c']), unit('b', ['a']), unit('c', ['b'])] }, /dependency cycle: "a" → "c" → "b" → "a"/],
    ['a unit depending on itself', { units: [unit('a', ['a'])] }, /unit "a" depends on itself/],
    ['a dangling dependency', { units: [unit('a'), unit('b', ['ghost'])] }, /unit "b" depends on "ghost", which is not a unit/],
    ['duplicate unit keys', { units: [unit('a'), unit('b'), unit('a')] }, /unit keys must be unique; repeated: "a"/],
    [
      'more units than allowed',
      { units: Array.from({ length: 10_001 }, (_, i) => unit(`u${i}`)) },
      /at most 10000 units; this one has 10001/,
    ],
    [
      'more dependencies than allowed',
      {
        units: [
          ...Array.from({ length: 1_001 }, (_, i) => unit(`u${i}`)),
          unit(
            'all',
            Array.from({ length: 1_001 }, (_, i) => `u${i}`),
          ),
        ],
      },
      /unit "all" has 1001 dependencies; at most 1000/,
    ],
    ['a key that names a parent folder', { units: [unit('..')] }, /unit key "\.\." must be letters, digits/],
    ['a key with a slash', { units: [unit('a/../../b')] }, /must be letters, digits/],
    ['a unit with a field of its own', { units: [unit('a', [], { command: ['rm', '-rf', '/'] })] }, /unknown fields "command"/],
    ['no units', { units: [] }, /at least one unit/],
    ['an array instead of an object', [unit('a')], /a ProtocolDAG must be a JSON object/],
  ];

  test.each(badDags)('createTasks refuses %s with BAD_USER_INPUT and creates no task', async (_, dag, message) => {
    const refusal = await refused(world.tokens.user, operation(createTasks, { t: world.network.transformationKey, dag }));
    expect(refusal.message).toMatch(message);
  });

  test.each(badDags)('setProtocolDAG refuses %s with BAD_USER_INPUT and the task keeps no DAG', async (_, dag, message) => {
    const refusal = await refused(world.tokens.worker, operation(setProtocolDag, { c: world.bare.claimToken, dag }));
    expect(refusal.message).toMatch(message);
  });
});

describe('JSON bombs', () => {
  /** A request whose JSON text has `bomb` where the variables hold the string "BOMB". */
  const withBomb = (query: string, variables: Record<string, unknown>, bomb: string) => operation(query, variables).replace('"BOMB"', bomb);
  const deep = nestedArraysJson(100_000);

  const deepArguments: Array<[string, () => [string, string]]> = [
    [
      "a DAG unit's inputs",
      () => [
        world.tokens.user,
        withBomb(createTasks, { t: world.network.transformationKey, dag: { units: [unit('a', [], { inputs: 'BOMB' })] } }, deep),
      ],
    ],
    [
      "a DAG's own extra field",
      () => [world.tokens.worker, withBomb(setProtocolDag, { c: world.bare.claimToken, dag: { units: [unit('a')], notes: 'BOMB' } }, deep)],
    ],
    [
      'chemical system components',
      () => [
        world.tokens.user,
        withBomb(
          createNetwork,
          {
            input: { ...networkInput, chemicalSystems: [{ name: 'benzene', components: 'BOMB' }, networkInput.chemicalSystems[1]] },
          },
          deep,
        ),
      ],
    ],
    [
      'transformation settings',
      () => [
        world.tokens.user,
        withBomb(
          createNetwork,
          {
            input: { ...networkInput, transformations: [{ ...networkInput.transformations[0], settings: 'BOMB' }] },
          },
          deep,
        ),
      ],
    ],
    [
      'unit result outputs',
      () => [world.tokens.worker, withBomb(submitResult, { c: world.running.claimToken, r: okResult('setup', 'BOMB') }, deep)],
    ],
  ];
  test.each(deepArguments)('100,000 nested arrays in %s are refused naming the depth limit', async (_, request) => {
    const [token, body] = request();
    const refusal = await refused(token, body);
    expect(refusal.message).toMatch(/at most 100 levels deep/);
    expect(refusal.extensions).toMatchObject({ limit: 'jsonDepth', max: 100 });
  });

  test('the same bomb written into the query text is refused as well', async () => {
    const inputs = nestedArraysJson(150);
    const query = `mutation ($t: ID!) { createTasks(transformationKey: $t, dag: { units: [{ key: "a", name: "A", dependencies: [], inputs: ${inputs} }] }) { id } }`;
    const refusal = await refused(world.tokens.user, operation(query, { t: world.network.transformationKey }));
    expect(refusal.message).toMatch(/at most 100 levels deep/);
  });

  test('the limit is where it says: 101 levels are refused, 100 allowed', async () => {
    // The settings object is level 1, so 99 arrays inside it reach level 100.
    const withSettingsOf = (arrays: number) => ({
      input: {
        ...networkInput,
        name: `${arrays} arrays deep`,
        transformations: [{ ...networkInput.transformations[0], settings: { deep: JSON.parse(nestedArraysJson(arrays)) as unknown } }],
      },
    });
    await refused(world.tokens.user, operation(createNetwork, withSettingsOf(100)));
    const answer = await postOperation(server, world.tokens.user, createNetwork, withSettingsOf(99));
    expect(answer.body).toEqual({ data: { createNetwork: { created: true } } });
  });

  const hugeArguments: Array<[string, () => [string, string], RegExp]> = [
    [
      'a 2 MiB string in components',
      () => [
        world.tokens.user,
        operation(createNetwork, {
          input: {
            ...networkInput,
            chemicalSystems: [{ name: 'benzene', components: { blob: 'x'.repeat(2 * MiB) } }, networkInput.chemicalSystems[1]],
          },
        }),
      ],
      /components is larger than 1048576 bytes of JSON/,
    ],
    [
      'an object of 150,000 keys in settings',
      () => [
        world.tokens.user,
        operation(createNetwork, {
          input: {
            ...networkInput,
            transformations: [
              { ...networkInput.transformations[0], settings: Object.fromEntries(Array.from({ length: 150_000 }, (_, i) => [`k${i}`, i])) },
            ],
          },
        }),
      ],
      /settings is larger than 1048576 bytes of JSON/,
    ],
    [
      "an array of 600,000 numbers in a unit's inputs",
      () => [
        world.tokens.user,
        operation(createTasks, {
          t: world.network.transformationKey,
          dag: { units: [unit('a', [], { inputs: Array.from({ length: 600_000 }, (_, i) => i % 10) })] },
        }),
      ],
      /unit "a" inputs exceed 1048576 characters of JSON/,
    ],
    [
      '2 MiB of outputs',
      () => [world.tokens.worker, operation(submitResult, { c: world.running.claimToken, r: okResult('setup', ['y'.repeat(2 * MiB)]) })],
      /outputs exceed 1048576 characters of JSON/,
    ],
  ];
  test.each(hugeArguments)('%s is refused naming the size limit', async (_, request, message) => {
    const [token, body] = request();
    expect(Buffer.byteLength(body)).toBeLessThan(4 * MiB);
    expect((await refused(token, body)).message).toMatch(message);
  });
});

describe('ResultFile paths and sizes', () => {
  const announce = (variables: Record<string, unknown>) =>
    operation(createUpload, {
      c: world.running.claimToken,
      unit: 'setup',
      path: 'out/ok.txt',
      size: 10,
      sha: '0'.repeat(64),
      ...variables,
    });

  const badPaths: Array<[string, string, RegExp]> = [
    ['climbs to a sibling task', '../other-task/x', /contains a \.\. segment/],
    ['climbs from inside', 'a/../../b', /contains a \.\. segment/],
    ['is absolute', '/etc/passwd', /is absolute/],
    ['has a Windows drive', 'C:/Windows/x', /drive letter/],
    ['uses backslashes', 'a\\..\\..\\b', /backslash/],
    ['holds a NUL', 'a\u0000b', /control character/],
    ['holds an escape character', 'a\u001b[2Jb', /control character/],
    ['holds a C1 control', 'a\u0085b', /control character/],
    ['is empty', '', /names no file/],
    ['names only the folder itself', './.', /contains a \. segment/],
    ['has an empty segment (a//b would alias a/b)', 'out//traj.xyz', /empty segment/],
    ['has a . segment (a/./b would alias a/b)', 'out/./traj.xyz', /contains a \. segment/],
    ['ends with a slash', 'out/', /ends with \//],
    ['is only whitespace', '   ', /segment of only whitespace/],
    ['has a segment of only spaces', 'out/   /traj.xyz', /segment of only whitespace/],
    ['has a name with a trailing space', 'out/traj.xyz ', /starts or ends with whitespace/],
    ['starts with a byte-order mark', '\ufeffout/traj.xyz', /invisible formatting character U\+FEFF/],
    ['holds a right-to-left override', 'out/gpj\u202eexe.txt', /invisible formatting character U\+202E/],
    ['holds a zero-width space', 'out/tr\u200baj.xyz', /invisible formatting character U\+200B/],
    ['is not in NFC', 'out/cafe\u0301.xyz', /normalization form C/],
    ['has a 256-byte segment', 'x'.repeat(256), /segment longer than 255 bytes/],
    ['has a 256-byte segment of 128 characters', 'é'.repeat(128), /segment longer than 255 bytes/],
    ['is longer than 512 bytes', Array.from({ length: 3 }, () => 'd'.repeat(200)).join('/'), /longer than 512 bytes/],
  ];
  test.each(badPaths)('a path that %s is refused before anything is stored', async (_, path, message) => {
    expect((await refused(world.tokens.worker, announce({ path }))).message).toMatch(message);
  });

  const badSizes: Array<[string, unknown]> = [
    ['negative', -1],
    ['fractional', 1.5],
    ['past 2^53', 2 ** 53],
    ['far past 2^53', 1e30],
    ['over the 5 TiB limit', 5 * 1024 ** 4 + 1],
    ['a string', '12'],
    ['null', null],
  ];
  test.each(badSizes)('a size that is %s is refused', async (_, size) => {
    await refused(world.tokens.worker, announce({ size }));
  });

  test.each([
    ['too short', 'abc'],
    ['not hexadecimal', 'g'.repeat(64)],
    ['too long', 'a'.repeat(65)],
  ])('a SHA-256 that is %s is refused', async (_, sha) => {
    expect((await refused(world.tokens.worker, announce({ sha }))).message).toMatch(/sha256 is 64 hexadecimal digits/);
  });

  test("a unit key that is not one of the DAG's units is refused", async () => {
    expect((await refused(world.tokens.worker, announce({ unit: '../other' }))).message).toMatch(/has no unit "\.\.\/other"/);
  });
});

describe('ResultFile bytes that are not the ones announced', () => {
  async function openUpload(path: string, announced: Buffer): Promise<{ uploadId: string; url: string }> {
    const { body } = await postOperation(server, world.tokens.worker, createUpload, {
      c: world.running.claimToken,
      unit: 'setup',
      path,
      size: announced.length,
      sha: sha256Of(announced),
    });
    return (body.data as { createResultFileUpload: { uploadId: string; url: string } }).createResultFileUpload;
  }
  async function uploadAndCommit(path: string, announced: Buffer, sent: Buffer) {
    const ticket = await openUpload(path, announced);
    expect((await fetch(ticket.url, { method: 'PUT', body: sent })).ok).toBe(true);
    return postOperation(server, world.tokens.worker, commitUpload, { c: world.running.claimToken, u: ticket.uploadId });
  }

  test('other bytes of the same size: CHECKSUM_MISMATCH at commit, and nothing recorded', async () => {
    await withNothingChanged(server, async () => {
      const answer = await uploadAndCommit('out/traj.xyz', Buffer.from('the real trajectory\n'), Buffer.from('a forged trajectory\n'));
      expect(codesOf(answer)).toEqual(['CHECKSUM_MISMATCH']);
    });
  });

  // The upload URL is signed for the announced size: another length is refused before a byte is read.
  test.each([
    ['fewer bytes than announced', 100, 50, 400, 'SIZE_MISMATCH'],
    ['more bytes than announced', 10, 30, 413, 'PAYLOAD_TOO_LARGE'],
    ['50 MiB to an upload announced as 3 bytes', 3, 50 * MiB, 413, 'PAYLOAD_TOO_LARGE'],
  ])(
    '%s: refused at the PUT with its code, nothing kept, and the upload still takes the right bytes',
    async (_, announcedSize, sentSize, status, code) => {
      const announced = Buffer.alloc(announcedSize, 7);
      const ticket = await openUpload(`out/sized-${sentSize}.bin`, announced);
      await withNothingChanged(server, async () => {
        const answer = await fetch(ticket.url, { method: 'PUT', body: Buffer.alloc(sentSize, 7) });
        expect([answer.status, ((await answer.json()) as { error: { code: string } }).error.code]).toEqual([status, code]);
      });
      expect((await fetch(ticket.url, { method: 'PUT', body: announced })).status).toBe(200);
      const committed = await postOperation(server, world.tokens.worker, commitUpload, { c: world.running.claimToken, u: ticket.uploadId });
      expect(committed.body.data).toEqual({
        commitResultFile: { path: `out/sized-${sentSize}.bin`, size: announcedSize, sha256: sha256Of(announced) },
      });
    },
  );

  // Each upload writes under a key of its own, so a second upload of a committed path, refused or
  // not yet committed, cannot touch the committed bytes.
  test('a bad upload over an already committed path leaves the committed file as it was', async () => {
    const original = Buffer.from('frame 1\nframe 2\n');
    const committed = await uploadAndCommit('out/kept.xyz', original, original);
    expect(committed.body.data).toEqual({ commitResultFile: { path: 'out/kept.xyz', size: original.length, sha256: sha256Of(original) } });

    const again = await uploadAndCommit('out/kept.xyz', Buffer.from('frame 3\nframe 4\n'), Buffer.from('garbage garbage!'));
    expect(codesOf(again)).toEqual(['CHECKSUM_MISMATCH']);
    const { body } = await postOperation(
      server,
      world.tokens.user,
      'query ($id: ID!) { task(id: $id) { resultFiles { path sha256 downloadUrl } } }',
      { id: world.running.taskId },
    );
    const files = (
      body.data as { task: { resultFiles: Array<{ path: string; sha256: string; downloadUrl: string }> } }
    ).task.resultFiles.filter((file) => file.path === 'out/kept.xyz');
    expect(files.map((file) => [file.path, file.sha256])).toEqual([['out/kept.xyz', sha256Of(original)]]);
    const download = await fetch(files[0]!.downloadUrl);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(original)).toBe(true);
  });
});

describe('texts with a NUL character, which PostgreSQL text and JSON cannot hold', () => {
  const nul = 'a\u0000b';
  const network = (input: unknown) =>
    operation('mutation ($input: NetworkInput!) { createNetwork(scope: "acme-c1-p1", input: $input) { created } }', { input });
  const unitResult = (r: Record<string, unknown>) =>
    operation(submitResult, {
      c: world.running.claimToken,
      r: { unitKey: 'setup', startedAt: '2026-01-01T00:00:00Z', endedAt: '2026-01-01T00:01:00Z', ...r },
    });

  const cases: Array<[string, 'user' | 'worker', () => string, RegExp]> = [
    ['a network name (caught where it is stored)', 'user', () => network({ ...networkInput, name: nul }), /cannot be stored \(NUL/],
    [
      "a chemical system's components (JSON)",
      'user',
      () =>
        network({ ...networkInput, name: 'with nul', chemicalSystems: [{ name: 'q', components: { smiles: nul } }], transformations: [] }),
      /cannot be stored \(NUL/,
    ],
    [
      "a failed unit's traceback",
      'worker',
      () => unitResult({ ok: false, exception: 'Crash', traceback: nul }),
      /traceback contains a NUL/,
    ],
    [
      "a DAG build failure's exception",
      'worker',
      () =>
        operation('mutation ($c: String!, $e: String!) { reportDagBuildFailure(claimToken: $c, exception: $e) { task { id } } }', {
          c: world.running.claimToken,
          e: nul,
        }),
      /exception contains a NUL/,
    ],
  ];
  test.each(cases)('%s is refused with BAD_USER_INPUT in words of our own, and nothing is stored', async (_, who, body, message) => {
    const refusal = await refused(world.tokens[who], body());
    expect(refusal.message).toMatch(message);
    expect(refusal.message).not.toMatch(/0x00|UTF8|INSERT|SELECT/);
  });
});
