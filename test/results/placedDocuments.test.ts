import { createHash } from 'node:crypto';
import { inlineTextMaxBytes } from '../../src/domain/results/placedText.js';
import { okResult } from '../support/fixtures.js';
import { claimedTask, useWorkerDomain } from '../support/workerDomain.js';

const twoUnits = {
  name: 'two',
  units: [
    { key: 'small', name: 'Small', dependencies: [] },
    { key: 'big', name: 'Big', dependencies: [] },
  ],
};

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('where result documents and logs are kept (real PostgreSQL + s3rver)', () => {
  const d = useWorkerDomain();

  test('a small unit result and its log stay in its row; big ones go to the object store; both read back the same', async () => {
    const claim = await claimedTask(d, 'placed', twoUnits);
    const smallLog = 'step 1 done\n';
    const bigLog = 'L'.repeat(inlineTextMaxBytes + 1);
    const bigOutputs = { samples: 'S'.repeat(inlineTextMaxBytes) };

    const small = await d.h.services.unitResults.submit(d.worker, claim.claimToken, { ...okResult('small', { value: 1 }), log: smallLog });
    const big = await d.h.services.unitResults.submit(d.worker, claim.claimToken, { ...okResult('big', bigOutputs), log: bigLog });

    expect(small).toMatchObject({ objectKey: null, logKey: null, log: smallLog });
    expect(sha256(small.document!)).toBe(small.sha256);
    expect(Buffer.byteLength(small.document!)).toBe(small.size);
    expect(big).toMatchObject({ document: null, log: null });
    expect(await d.h.objects.digest(big.objectKey!)).toEqual({ key: big.objectKey, size: big.size, sha256: big.sha256 });
    expect(await d.h.objects.stat(big.logKey!)).not.toBeNull();
    // The task's objects are the big ones only: nothing was written for the small result.
    expect((await d.h.state.access.unitResults.objectKeysOf(claim.taskId)).sort()).toEqual([big.objectKey, big.logKey].sort());

    expect(await d.h.services.unitResults.document(small)).toMatchObject({ ok: true, outputs: { value: 1 } });
    expect(await d.h.services.unitResults.document(big)).toMatchObject({ ok: true, outputs: bigOutputs });
    expect(await d.h.services.unitResults.logText(small)).toBe(smallLog);
    expect(await d.h.services.unitResults.logText(big)).toBe(bigLog);

    // Sending the same result again (a retry after a lost answer) answers the stored one, wherever it is.
    expect(
      await d.h.services.unitResults.submit(d.worker, claim.claimToken, {
        ...okResult('small', { value: 1 }),
        log: smallLog,
        startedAt: small.startedAt,
        endedAt: small.endedAt,
      }),
    ).toEqual(small);

    const finished = await d.h.services.finisher.finish(d.worker, claim.claimToken);
    // The DAG result holds the big outputs: too big for its row.
    expect(finished.dagResult.objectKey).not.toBeNull();
    const document = (await d.h.services.dagResults.document(finished.dagResult)) as {
      units: Array<{ key: string; result: Record<string, unknown> }>;
    };
    expect(document.units.map((unit) => [unit.key, unit.result.objectKey, unit.result.outputs])).toEqual([
      ['big', big.objectKey, bigOutputs],
      ['small', null, { value: 1 }],
    ]);
  });

  test('a small ProtocolDAGResult stays in its row and reads back as it was recorded', async () => {
    const claim = await claimedTask(d, 'placed-small', twoUnits);
    for (const key of ['small', 'big']) await d.h.services.unitResults.submit(d.worker, claim.claimToken, okResult(key));
    const finished = await d.h.services.finisher.finish(d.worker, claim.claimToken);

    expect(finished.dagResult.objectKey).toBeNull();
    expect(await d.h.state.access.dagResults.objectKeysOf(claim.taskId)).toEqual([]);
    const row = await d.h.state.db.protocolDagResult.findUniqueOrThrow({ where: { id: finished.dagResultId } });
    expect(sha256(row.document!)).toBe(row.sha256);
    expect(await d.h.services.dagResults.document(finished.dagResult)).toEqual(JSON.parse(row.document!));
    expect(await d.h.services.dagResults.document(finished.dagResult)).toMatchObject({
      ok: true,
      units: [{ key: 'big' }, { key: 'small' }],
    });
  });
});
