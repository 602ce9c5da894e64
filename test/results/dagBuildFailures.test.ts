import type { Principal } from '../../src/domain/principal.js';
import { DomainError } from '../../src/domain/errors.js';
import { taskFailures } from '../../src/domain/results/taskFailures.js';
import { codeOf } from '../support/refusals.js';
import { createNetwork, diamondDag } from '../support/fixtures.js';
import { startDomain } from '../support/domainHarness.js';
import type { DomainHarness } from '../support/domainHarness.js';

/** The refusal a call ends with: code and details, or a test failure when it succeeds. */
async function refusalOf(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

const twoWells = [
  { name: 'k1', components: { k: 1 } },
  { name: 'k4', components: { k: 4 } },
];
const commandUnit = (key: string, dependencies: string[] = []) => ({ key, name: key, dependencies, command: ['true'] });

describe('poison transformations and DAGs that cannot be built (real PostgreSQL + s3rver)', () => {
  let h: DomainHarness;
  let user: Principal;
  let worker: Principal;

  beforeAll(async () => {
    h = await startDomain({ claimFailureLimit: 1 });
    user = await h.user('alice');
    worker = await h.compute('worker');
  });
  afterAll(async () => {
    await h.close();
  });

  const submit = (protocol: string, settings: unknown, name = 'k1->k4') =>
    h.services.networks.create(user, 'acme-c1-p1', {
      name: `net ${name}`,
      chemicalSystems: twoWells,
      transformations: [{ name, stateA: 'k1', stateB: 'k4', protocol, settings }],
    });

  describe('createNetwork checks the built-in protocols’ settings with their own parsers', () => {
    test.each([
      [
        'harmonic-oscillator windows: -3',
        'harmonic-oscillator',
        { k0: 1, k1: 4, windows: -3 },
        'settings.windows',
        /windows must be an integer in 2\.\.64, got -3/,
      ],
      ['harmonic-oscillator without k1', 'harmonic-oscillator', { k0: 1 }, 'settings.k1', /need k1/],
      [
        'harmonic-oscillator with a misspelt field',
        'harmonic-oscillator',
        { k0: 1, k1: 4, windwos: 3 },
        'settings.windwos',
        /unknown fields "windwos"/,
      ],
      [
        'a command DAG with a cycle',
        'command',
        { units: [commandUnit('a', ['b']), commandUnit('b', ['a'])] },
        'settings.units',
        /dependency cycle: "a" → "b" → "a"/,
      ],
      [
        'a command unit depending on an unknown unit',
        'command',
        { units: [commandUnit('a'), commandUnit('b', ['nope'])] },
        'settings.units[1].dependencies',
        /depends on "nope"/,
      ],
      [
        'two command units with one key',
        'command',
        { units: [commandUnit('a'), commandUnit('a')] },
        'settings.units[1].key',
        /repeated: "a"/,
      ],
      [
        'a command unit without a command',
        'command',
        { units: [{ key: 'a', name: 'a', dependencies: [] }] },
        'settings.units[0].command',
        /needs a command/,
      ],
      [
        'a command unit with a misspelt field',
        'command',
        { units: [{ ...commandUnit('a'), dependecies: [] }] },
        'settings.units[0].dependecies',
        /unknown fields "dependecies"/,
      ],
      ['command settings without units', 'command', { units: [] }, 'settings.units', /at least one unit/],
    ])(
      '%s is refused with BAD_USER_INPUT naming the transformation and the field, and nothing is stored',
      async (_, protocol, settings, field, message) => {
        const before = await h.state.db.transformation.count();
        const refused = await refusalOf(submit(protocol, settings, 'poisoned'));
        expect(refused.code).toBe('BAD_USER_INPUT');
        expect(refused.details).toMatchObject({ transformation: 'poisoned', protocol, field });
        expect(refused.message).toContain(`transformation "poisoned": ${field}`);
        expect(refused.message).toMatch(message);
        expect(await h.state.db.transformation.count()).toBe(before);
      },
    );

    test('good settings of the built-in protocols, and any settings of a protocol the server does not know, are accepted', async () => {
      expect((await submit('harmonic-oscillator', { k0: 1, k1: 4, windows: 4 }, 'good wells')).created).toBe(true);
      expect((await submit('command', { units: [commandUnit('a'), commandUnit('b', ['a'])] }, 'good commands')).created).toBe(true);
      // A protocol a worker loads with --protocol-module: only its worker can judge the settings.
      expect((await submit('gromacs-rbfe', { windows: -3 }, 'custom')).created).toBe(true);
    });
  });

  describe('reportDagBuildFailure', () => {
    let net: Awaited<ReturnType<typeof createNetwork>>;
    beforeAll(async () => {
      net = await createNetwork(h.services, user, { name: 'unbuildable', protocol: 'unbuildable' });
    });

    async function claimNewTask(serviceId: string, as = worker) {
      const [task] = await h.services.tasks.create(user, net.transformations[0]!.scopedKey, 1);
      await h.services.tasks.action(user, net.network.scopedKey, [task!.id]);
      const [claim] = await h.services.claims.claim(as, serviceId, 1, ['unbuildable']);
      if (claim?.taskId !== task!.id) throw new Error(`expected to claim ${task!.id}, got ${claim?.taskId}`);
      return claim;
    }

    const failure = {
      exception: 'RangeError: windows must be at least 2, got -3',
      traceback: 'RangeError: windows must be at least 2, got -3\n    at createDag (poison.mjs:3:11)',
    };

    test('records a failed ProtocolDAGResult without units, holding the exception and traceback; the task goes to ERROR and off its hub', async () => {
      const service = await h.services.compute.register(worker, 'node-a');
      const claim = await claimNewTask(service.id);
      const outcome = await h.services.dagBuildFailures.record(worker, claim.claimToken, failure);
      expect(outcome).toMatchObject({ ok: false, status: 'ERROR', restartedBy: null });

      const [task] = await h.services.tasks.getMany([claim.taskId]);
      expect(task!.status).toBe('ERROR');
      const results = (await h.services.dagResults.ofTasks([claim.taskId])).get(claim.taskId)!;
      expect(results).toEqual([expect.objectContaining({ id: outcome.dagResultId, ok: false, attempt: Number(claim.fence), ...failure })]);
      expect(await h.services.dagResults.document(results[0]!)).toMatchObject({
        ok: false,
        units: [],
        files: [],
        dagBuildFailure: failure,
      });
      // Task.failures: the DAG build failure, like a failed unit's.
      expect(taskFailures([], results)).toEqual([
        expect.objectContaining({ kind: 'DagBuildFailure', unitKey: null, attempt: Number(claim.fence), ...failure }),
      ]);
      // Nothing claims it again: the next claim of the same protocol finds nothing.
      expect(await h.services.claims.claim(worker, service.id, 1, ['unbuildable'])).toEqual([]);
      // Its claim ended with it: any later write through it is stale.
      expect(await codeOf(h.services.dagBuildFailures.record(worker, claim.claimToken, failure))).toBe('STALE_CLAIM');
    });

    test('counts toward the compute service’s failure limit: past it, the service’s claims are suspended', async () => {
      // claimFailureLimit is 1 here: a second failure puts the service over it.
      const service = await h.services.compute.register(worker, 'node-b');
      for (let i = 0; i < 2; i += 1) {
        const claim = await claimNewTask(service.id);
        await h.services.dagBuildFailures.record(worker, claim.claimToken, failure);
      }
      const [task] = await h.services.tasks.create(user, net.transformations[0]!.scopedKey, 1);
      await h.services.tasks.action(user, net.network.scopedKey, [task!.id]);
      expect(await codeOf(h.services.claims.claim(worker, service.id, 1, ['unbuildable']))).toBe('CLAIMS_SUSPENDED');
      // Another service is not held back by node-b's failures.
      const other = await h.services.compute.register(worker, 'node-c');
      expect((await h.services.claims.claim(worker, other.id, 1, ['unbuildable'])).map((c) => c.taskId)).toEqual([task!.id]);
    });

    test('restart patterns match its exception and traceback: the task goes back to WAITING until the budget is spent', async () => {
      await h.services.networks.addRestartPattern(user, net.network.scopedKey, 'at createDag \\(poison', 1);
      const service = await h.services.compute.register(worker, 'node-d');
      const first = await claimNewTask(service.id);
      expect(await h.services.dagBuildFailures.record(worker, first.claimToken, failure)).toMatchObject({
        status: 'WAITING',
        restartedBy: 'at createDag \\(poison',
      });
      const [again] = await h.services.claims.claim(worker, service.id, 1, ['unbuildable']);
      expect(again?.taskId).toBe(first.taskId);
      expect(await h.services.dagBuildFailures.record(worker, again!.claimToken, failure)).toMatchObject({
        status: 'ERROR',
        restartedBy: null,
      });
      await h.services.networks.removeRestartPattern(user, net.network.scopedKey, 'at createDag \\(poison');
    });

    test('is refused for a task that has its DAG (BAD_USER_INPUT), without an exception, and for other identities, changing nothing', async () => {
      const service = await h.services.compute.register(worker, 'node-e');
      const claim = await claimNewTask(service.id);
      expect(await codeOf(h.services.dagBuildFailures.record(worker, claim.claimToken, { exception: '  ' }))).toBe('BAD_USER_INPUT');
      const rogue = await h.compute('rogue');
      expect(await codeOf(h.services.dagBuildFailures.record(rogue, claim.claimToken, failure))).toBe('FORBIDDEN');
      expect(await codeOf(h.services.dagBuildFailures.record(user, claim.claimToken, failure))).toBe('FORBIDDEN');
      await h.services.dags.register(worker, claim.claimToken, diamondDag);
      expect(await codeOf(h.services.dagBuildFailures.record(worker, claim.claimToken, failure))).toBe('BAD_USER_INPUT');
      const [task] = await h.services.tasks.getMany([claim.taskId]);
      expect(task!.status).toBe('RUNNING');
      expect((await h.services.dagResults.ofTasks([claim.taskId])).get(claim.taskId)).toEqual([]);
    });
  });
});
