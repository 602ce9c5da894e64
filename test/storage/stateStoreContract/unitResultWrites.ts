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

    const facts = (w: CaseWorld) => w.d.store.access.unitResults;
    const write = (claim: ClaimedTask, result = row(claim)) => ({ result, fence: claim.fence, eventsFor: recordedEvent });

    test('the claims and the facts of several submissions are read in one statement, in the order asked; a current claim writes the row and its event', async () => {
      const w = await ctx.world();
      const claim = await claimed(w);
      const unknown = hashClaimToken(`dkc_${'x'.repeat(43)}`);
      const [read, none, other] = await facts(w).claimsAndSubmissionFacts([
        { tokenHash: hashClaimToken(claim.claimToken), unitKey: 'u' },
        { tokenHash: unknown, unitKey: 'u' },
        { tokenHash: hashClaimToken(claim.claimToken), unitKey: 'nope' },
      ]);
      expect(read!.claim).toMatchObject({ id: claim.claimId, taskId: claim.taskId, fence: claim.fence, task: { status: 'RUNNING' } });
      expect(read!.facts).toMatchObject({ hasDag: true, unit: { key: 'u' }, inAttempt: null, okAttempt: null, okDependencies: [] });
      expect(none).toEqual({ claim: null, facts: null });
      expect(other!.facts).toMatchObject({ hasDag: true, unit: null });

      const [created] = await facts(w).createEachIfClaimCurrent([write(claim)]);
      expect(created).toMatchObject({ taskId: claim.taskId, unitKey: 'u', document: row(claim).document });
      expect(await written(w, claim.taskId)).toEqual({ rows: 1, events: [{ unitResultId: created!.id }] });
      const [again] = await facts(w).claimsAndSubmissionFacts([{ tokenHash: hashClaimToken(claim.claimToken), unitKey: 'u' }]);
      expect(again!.facts!.inAttempt).toEqual(created);
    });

    test('a task requeued between the read and the write: nothing is written, and the submission answers STALE_CLAIM', async () => {
      const w = await ctx.world();
      const claim = await claimed(w);
      await w.d.services.tasks.setStatus(w.user, [claim.taskId], 'WAITING');

      expect(await facts(w).createEachIfClaimCurrent([write(claim)])).toEqual([null]);
      expect(await written(w, claim.taskId)).toEqual({ rows: 0, events: [] });
      expect(await codeOf(w.d.services.unitResults.submit(w.worker, claim.claimToken, okResult('u')))).toBe('STALE_CLAIM');
    });

    test('a result of the same unit and attempt arriving between the read and the write makes the write a no-op', async () => {
      const w = await ctx.world();
      const claim = await claimed(w);
      const first = await w.d.services.unitResults.submit(w.worker, claim.claimToken, okResult('u'));

      expect(await facts(w).createEachIfClaimCurrent([write(claim)])).toEqual([null]);
      expect(await written(w, claim.taskId)).toMatchObject({ rows: 1, events: [{ unitResultId: first.id }] });
    });

    test('writes sharing a statement each get their own answer: a current claim records, a moved-on claim and a second copy of one result do not', async () => {
      const w = await ctx.world();
      const net = await w.network();
      const tasks = await w.actioned(net, 3, { dag: oneUnitDag });
      const claims = await w.claimEach(
        tasks.map((t) => t.id),
        await w.service('sharer'),
      );
      const [current, requeued, twice] = tasks.map((t) => claims.get(t.id)!);
      await w.d.services.tasks.setStatus(w.user, [requeued!.taskId], 'WAITING');

      const answers = await facts(w).createEachIfClaimCurrent([
        write(current!),
        write(requeued!),
        write(twice!),
        write(twice!, row(twice!, 'b'.repeat(64))),
      ]);

      expect(answers.map((a) => a?.taskId ?? null)).toEqual([current!.taskId, null, twice!.taskId, null]);
      expect(await written(w, current!.taskId)).toEqual({ rows: 1, events: [{ unitResultId: answers[0]!.id }] });
      expect(await written(w, requeued!.taskId)).toEqual({ rows: 0, events: [] });
      expect(await written(w, twice!.taskId)).toEqual({ rows: 1, events: [{ unitResultId: answers[2]!.id }] });
    });
  });
}
