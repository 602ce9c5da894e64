import { createHash } from 'node:crypto';
import type { Principal } from '../../src/domain/principal.js';
import { readPlacedJson } from '../../src/domain/results/placedText.js';
import { createNetwork, failedResult, okResult } from '../support/fixtures.js';
import { startDomain } from '../support/domainHarness.js';
import type { DomainHarness } from '../support/domainHarness.js';

const chainDag = {
  units: [
    { key: 'u1', name: 'U1', dependencies: [] },
    { key: 'u2', name: 'U2', dependencies: ['u1'] },
  ],
};
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('the files of an ok result are those of the attempt that produced it (real PostgreSQL + s3rver)', () => {
  let h: DomainHarness;
  let user: Principal;
  let worker: Principal;

  beforeAll(async () => {
    h = await startDomain();
    user = await h.user('alice');
    worker = await h.compute('worker');
  });
  afterAll(async () => {
    await h.close();
  });

  async function upload(claimToken: string, unitKey: string, path: string, text: string): Promise<string> {
    const bytes = Buffer.from(text);
    const ticket = await h.services.resultFiles.createUpload(worker, claimToken, {
      unitKey,
      path,
      size: bytes.length,
      sha256: sha256(bytes),
    });
    expect((await fetch(ticket.url!, { method: 'PUT', body: bytes })).ok).toBe(true);
    await h.services.resultFiles.commit(worker, claimToken, ticket.uploadId);
    return sha256(bytes);
  }

  test('a failed attempt’s files, and an abandoned attempt’s, are neither in the successful ProtocolDAGResult nor among resultFiles(ok: true)', async () => {
    const { network, transformations } = await createNetwork(h.services, user, { name: 'attempts', protocol: 'attempts' });
    const [task] = await h.services.tasks.create(user, transformations[0]!.scopedKey, 1, { dag: chainDag });
    const taskId = task!.id;
    const service = await h.services.compute.register(worker, 'node');
    const claimNext = async () => {
      await h.services.tasks.action(user, network.scopedKey, [taskId]);
      const [claim] = await h.services.claims.claim(worker, service.id, 1, ['attempts']);
      expect(claim?.taskId).toBe(taskId);
      return claim!.claimToken;
    };

    // Attempt 1: u1 leaves partial.dat and shared.txt, then fails.
    const first = await claimNext();
    await upload(first, 'u1', 'partial.dat', 'half of it');
    await upload(first, 'u1', 'shared.txt', 'from attempt 1');
    await h.services.unitResults.submit(worker, first, failedResult('u1'));
    expect((await h.services.finisher.finish(worker, first)).status).toBe('ERROR');
    await h.services.tasks.setStatus(user, [taskId], 'WAITING');

    // Attempt 2: u1 succeeds with result.txt and a new shared.txt; u2 uploads orphan.dat and the attempt is abandoned.
    const second = await claimNext();
    const resultSha = await upload(second, 'u1', 'result.txt', 'the answer');
    const sharedSha = await upload(second, 'u1', 'shared.txt', 'from attempt 2');
    await h.services.unitResults.submit(worker, second, okResult('u1'));
    await upload(second, 'u2', 'orphan.dat', 'never finished');
    await h.services.tasks.setStatus(user, [taskId], 'WAITING');

    // Attempt 3: u2 succeeds with final.txt.
    const third = await claimNext();
    const finalSha = await upload(third, 'u2', 'final.txt', 'done');
    await h.services.unitResults.submit(worker, third, okResult('u2'));
    expect((await h.services.finisher.finish(worker, third)).status).toBe('COMPLETE');

    const okFiles = [
      ['u1', 'result.txt', resultSha],
      ['u1', 'shared.txt', sharedSha],
      ['u2', 'final.txt', finalSha],
    ];
    const successful = await h.state.db.protocolDagResult.findFirstOrThrow({ where: { taskId, ok: true } });
    const document = (await readPlacedJson(h.objects, { objectKey: successful.objectKey, inline: successful.document })) as {
      files: Array<{ unitKey: string; path: string; sha256: string }>;
    };
    expect(document.files.map((f) => [f.unitKey, f.path, f.sha256])).toEqual(okFiles);

    const listed = async (ok?: boolean) =>
      (await h.services.resultFiles.ofTasks([taskId], { ok })).get(taskId)!.map((f) => [f.unitKey, f.path, f.sha256]);
    expect(await listed(true)).toEqual(okFiles);
    expect((await listed(false)).map(([unitKey, path]) => [unitKey, path])).toEqual([
      ['u1', 'partial.dat'],
      ['u2', 'orphan.dat'],
    ]);
    // Every file is still kept and listed, for whoever wants to look at a failed attempt's.
    expect(await listed()).toHaveLength(5);
  });
});
