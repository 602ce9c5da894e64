import { DomainError } from '../../src/domain/errors.js';
import type { Principal } from '../../src/domain/principal.js';
import { createNetwork, failedResult } from '../support/fixtures.js';
import { startDomain } from '../support/domainHarness.js';
import type { DomainHarness } from '../support/domainHarness.js';

const singleUnitDag = { units: [{ key: 'only', name: 'Only', dependencies: [] }] };

async function refusalOf(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('restart patterns: RE2 syntax, matched outside the transaction (real PostgreSQL + s3rver)', () => {
  let h: DomainHarness;
  let user: Principal;
  let worker: Principal;
  let serviceId: string;

  beforeAll(async () => {
    h = await startDomain();
    user = await h.user('alice');
    worker = await h.compute('worker');
    serviceId = (await h.services.compute.register(worker, 'w')).id;
  });
  afterAll(async () => {
    await h.services.patternMatcher.close();
    await h.close();
  });

  /** A network of its own protocol with one actioned single-unit task, claimed: its claim token. */
  async function claimedTask(protocol: string, patterns: Array<[string, number]>) {
    const net = await createNetwork(h.services, user, { name: protocol, protocol });
    for (const [pattern, maxRetries] of patterns)
      await h.services.networks.addRestartPattern(user, net.network.scopedKey, pattern, maxRetries);
    const [task] = await h.services.tasks.create(user, net.transformations[0]!.scopedKey, 1, { dag: singleUnitDag });
    await h.services.tasks.action(user, net.network.scopedKey, [task!.id]);
    const [claim] = await h.services.claims.claim(worker, serviceId, 1, [protocol]);
    expect(claim?.taskId).toBe(task!.id);
    return { net, taskId: task!.id, claimToken: claim!.claimToken };
  }

  test('addRestartPattern refuses what RE2 cannot compile with BAD_USER_INPUT naming the construct, and stores nothing', async () => {
    const net = await createNetwork(h.services, user, { name: 'syntax', protocol: 'syntax' });
    const cases: Array<[pattern: string, named: string]> = [
      ['(CUDA) error \\1', 'backreference \\1'],
      ['error(?= in kernel)', 'lookahead (?='],
      ['error(?! ignored)', 'negative lookahead (?!'],
      ['(?<=CUDA )error', 'lookbehind (?<='],
      ['(?<!no )error', 'negative lookbehind (?<!'],
      ['(?<kind>CUDA) \\k<kind>', 'named backreference \\k<kind>'],
      ['\\u0041ssertionError', '\\u'],
      ['x{1001}', '{1001}'],
      ['(unclosed', 'missing closing )'],
    ];
    for (const [pattern, named] of cases) {
      const refused = await refusalOf(h.services.networks.addRestartPattern(user, net.network.scopedKey, pattern, 3));
      expect([pattern, refused.code]).toEqual([pattern, 'BAD_USER_INPUT']);
      expect(refused.message).toContain(named);
    }
    expect(await h.services.networks.restartPatterns(net.network.id)).toEqual([]);
    // RE2 syntax JavaScript lacks is fine, and so is a pattern that is catastrophic for a backtracking engine.
    for (const pattern of ['(?i)cuda error: \\pL+', '(a+)+$'])
      await h.services.networks.addRestartPattern(user, net.network.scopedKey, pattern, 1);
    expect((await h.services.networks.restartPatterns(net.network.id)).map((p) => p.pattern)).toEqual(['(?i)cuda error: \\pL+', '(a+)+$']);
  });

  test('(a+)+$ against a 4 MiB traceback finishes the task in seconds, in ERROR', async () => {
    const { taskId, claimToken } = await claimedTask('catastrophic', [['(a+)+$', 3]]);
    await h.services.unitResults.submit(worker, claimToken, failedResult('only', `${'a'.repeat(4 * 1024 * 1024 - 1)}!`));
    const started = performance.now();
    expect(await h.services.finisher.finish(worker, claimToken)).toMatchObject({ ok: false, status: 'ERROR', restartedBy: null });
    expect(performance.now() - started).toBeLessThan(20_000);
    expect((await h.services.tasks.get(user, taskId)).status).toBe('ERROR');
  });

  test('a pattern matching the end of a 4 MiB traceback sends the task back to WAITING and counts the retry', async () => {
    const { taskId, claimToken } = await claimedTask('oom', [
      ['NaN in positions', 3],
      ['CUDA error: (out of memory|an illegal memory access)$', 3],
    ]);
    await h.services.unitResults.submit(
      worker,
      claimToken,
      failedResult('only', `${'x'.repeat(4 * 1024 * 1024 - 64)}\nCUDA error: out of memory`),
    );
    expect(await h.services.finisher.finish(worker, claimToken)).toMatchObject({
      status: 'WAITING',
      restartedBy: 'CUDA error: (out of memory|an illegal memory access)$',
    });
    expect(
      (await h.state.db.taskRestartCount.findMany({ where: { taskId }, include: { pattern: true } })).map((c) => [
        c.pattern.pattern,
        c.count,
      ]),
    ).toEqual([['CUDA error: (out of memory|an illegal memory access)$', 1]]);
  });

  test('a stored pattern RE2 cannot compile counts as not matching: finishing goes on to the next pattern', async () => {
    const { net, taskId, claimToken } = await claimedTask('legacy', []);
    // Stored before patterns were RE2 (addRestartPattern refuses it now).
    await h.state.db.restartPattern.create({
      data: { networkId: net.network.id, pattern: '(boom)\\1', maxRetries: 5, createdAt: new Date(Date.now() - 60_000) },
    });
    await h.services.networks.addRestartPattern(user, net.network.scopedKey, 'boom', 5);
    await h.services.unitResults.submit(worker, claimToken, failedResult('only', 'RuntimeError: boomboom'));
    expect(await h.services.finisher.finish(worker, claimToken)).toMatchObject({ status: 'WAITING', restartedBy: 'boom' });
    expect(
      (await h.state.db.taskRestartCount.findMany({ where: { taskId }, include: { pattern: true } })).map((c) => c.pattern.pattern),
    ).toEqual(['boom']);
  });
});
