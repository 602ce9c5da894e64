import { hashClaimToken } from '../../../src/domain/claims/claimTokens.js';
import type { ClaimedTask } from '../../../src/domain/claims/ClaimService.js';
import type { NewUnitResult } from '../../../src/domain/results/UnitResultRepository.js';
import { okResult } from '../../support/fixtures.js';
import { codeOf } from '../../support/refusals.js';
import type { CaseWorld } from './caseWorld.js';
import { oneUnitDag } from './caseWorld.js';
import type { ContractContext } from './context.js';

/**
 * A unit result is usually recorded without a transaction: the claim and the facts read in one
 * statement, then the row and its event written in one statement that checks the claim again
 * (UnitResultService.submit). Whatever happens between the two, the write records nothing unless the
 * claim is still current and the unit has no result in that attempt.
 */
export function describeUnitResultWrites(ctx: ContractContext): void {
  describe('unit result writes', () => {
    async function claimed(w: CaseWorld): Promise<ClaimedTask> {
      const net = await w.network();
      const [task] = await w.actioned(net, 1, { dag: oneUnitDag });
      return (await w.claimEach([task!.id], await w.service('writer'))).get(task!.id)!;
    }

    function row(claim: ClaimedTask, sha256 = 'a'.repeat(64)): NewUnitResult {
      const document = JSON.stringify({ unitKey: 'u' });
      return {
        taskId: claim.taskId,
        unitKey: 'u',
        attempt: Number(claim.fence),
        ok: true,
        objectKey: null,
        document,
        sha256,
        size: Buffer.byteLength(document),
        logKey: null,
        log: null,
        exception: null,
        traceback: null,
        startedAt: new Date(Date.now() - 1000),
        endedAt: new Date(),
        claimId: claim.claimId,
      };
    }

    const recordedEvent = (created: { taskId: string; id: string }) => [
      { kind: 'UnitResultRecorded', taskId: created.taskId, payload: { unitResultId: created.id } },
    ];

    async function written(w: CaseWorld, taskId: string) {
      const rows = await w.d.store.db.unitResult.findMany({ where: { taskId } });
      const events = await w.d.store.db.taskEvent.findMany({ where: { taskId, kind: 'UnitResultRecorded' } });
      return { rows: rows.length, events: events.map((e) => e.payload) };
    }

    test('the claim and the facts are read in one statement; a current claim writes the row and its event in one', async () => {
      const w = await ctx.world();
      const claim = await claimed(w);
      const read = await w.d.store.access.unitResults.claimAndSubmissionFacts(hashClaimToken(claim.claimToken), 'u');
      expect(read.claim).toMatchObject({ id: claim.claimId, taskId: claim.taskId, fence: claim.fence, task: { status: 'RUNNING' } });
      expect(read.facts).toMatchObject({ hasDag: true, unit: { key: 'u' }, inAttempt: null, okAttempt: null, okDependencies: [] });

      const created = await w.d.store.access.unitResults.createIfClaimCurrent(row(claim), claim.fence, recordedEvent);
      expect(created).toMatchObject({ taskId: claim.taskId, unitKey: 'u', document: row(claim).document });
      expect(await written(w, claim.taskId)).toEqual({ rows: 1, events: [{ unitResultId: created!.id }] });
      const again = await w.d.store.access.unitResults.claimAndSubmissionFacts(hashClaimToken(claim.claimToken), 'u');
      expect(again.facts!.inAttempt).toEqual(created);
    });

    test('an unknown token reads no claim and no facts', async () => {
      const w = await ctx.world();
      expect(await w.d.store.access.unitResults.claimAndSubmissionFacts(hashClaimToken(`dkc_${'x'.repeat(43)}`), 'u')).toEqual({
        claim: null,
        facts: null,
      });
    });

    test('a task requeued between the read and the write: nothing is written, and the submission answers STALE_CLAIM', async () => {
      const w = await ctx.world();
      const claim = await claimed(w);
      await w.d.store.access.unitResults.claimAndSubmissionFacts(hashClaimToken(claim.claimToken), 'u');
      await w.d.services.tasks.setStatus(w.user, [claim.taskId], 'WAITING');

      expect(await w.d.store.access.unitResults.createIfClaimCurrent(row(claim), claim.fence, recordedEvent)).toBeNull();
      expect(await written(w, claim.taskId)).toEqual({ rows: 0, events: [] });
      expect(await codeOf(w.d.services.unitResults.submit(w.worker, claim.claimToken, okResult('u')))).toBe('STALE_CLAIM');
    });

    test('a result of the same unit and attempt arriving between the read and the write makes the write a no-op', async () => {
      const w = await ctx.world();
      const claim = await claimed(w);
      const first = await w.d.services.unitResults.submit(w.worker, claim.claimToken, okResult('u'));

      expect(await w.d.store.access.unitResults.createIfClaimCurrent(row(claim), claim.fence, recordedEvent)).toBeNull();
      expect(await written(w, claim.taskId)).toMatchObject({ rows: 1, events: [{ unitResultId: first.id }] });
    });
  });
}
