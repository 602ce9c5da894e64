import { inlineTextMaxBytes } from '../../../src/domain/results/placedText.js';
import { createHash } from 'node:crypto';
import { unitResultKey } from '../../../src/domain/objects/objectKeys.js';
import { diamondDag, okResult } from '../../support/fixtures.js';
import { uploadSweepGraceSeconds as graceSeconds } from '../../support/stateStoreHarness.js';
import { put } from '../../support/uploadTicket.js';
import type { CaseWorld } from './caseWorld.js';
import type { ContractContext } from './context.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const later = (date: Date, seconds: number) => new Date(date.getTime() + seconds * 1000);

/** The upload sweeper: what it removes, when, and what it must never touch. */
export function describeUploadSweeper(ctx: ContractContext): void {
  describe('upload sweeper', () => {
    test('an uncommitted upload is removed, row and bytes, once its URL expired and the grace passed; a committed file stays', async () => {
      const w = await ctx.world();
      const claim = await claimedDiamond(w);
      const abandonedBytes = Buffer.from('abandoned frames');
      const abandoned = await w.d.services.resultFiles.createUpload(w.worker, claim.claimToken, {
        unitKey: 'setup',
        path: 'abandoned.xyz',
        size: abandonedBytes.length,
        sha256: sha256(abandonedBytes),
      });
      await put(abandoned.url!, abandonedBytes);
      const keptBytes = Buffer.from('kept frames');
      const kept = await w.d.services.resultFiles.createUpload(w.worker, claim.claimToken, {
        unitKey: 'setup',
        path: 'kept.xyz',
        size: keptBytes.length,
        sha256: sha256(keptBytes),
      });
      await put(kept.url!, keptBytes);
      const file = await w.d.services.resultFiles.commit(w.worker, claim.claimToken, kept.uploadId);
      const row = await w.d.store.db.resultFileUpload.findUniqueOrThrow({ where: { id: abandoned.uploadId } });
      const sentTo = row.stagingKey ?? row.objectKey;
      const sweeper = w.d.services.uploadSweeper;

      await sweeper.sweep(later(abandoned.expiresAt, graceSeconds - 5));
      expect(await w.d.store.db.resultFileUpload.count({ where: { id: abandoned.uploadId } })).toBe(1);
      expect(await w.d.objects.stat(sentTo)).not.toBeNull();

      const report = await sweeper.sweep(later(kept.expiresAt, graceSeconds + 5));
      expect(report.removedKeys).toContain(sentTo);
      expect(report.removedKeys).not.toContain(file.objectKey);
      expect(await w.d.store.db.resultFileUpload.count({ where: { id: abandoned.uploadId } })).toBe(0);
      expect(await w.d.objects.stat(sentTo)).toBeNull();
      expect((await w.d.services.resultFiles.ofTasks([claim.taskId])).get(claim.taskId)).toEqual([file]);
      expect(await w.d.objects.digest(file.objectKey)).toEqual({ key: file.objectKey, size: keptBytes.length, sha256: sha256(keptBytes) });
    });

    test("once a claim ended and the grace passed, its task's objects no row names are removed and every named one stays", async () => {
      const w = await ctx.world();
      const claim = await claimedDiamond(w);
      // A log too big to keep in its row is an object the row names.
      const log = 'x'.repeat(inlineTextMaxBytes + 1);
      const result = await w.d.services.unitResults.submit(w.worker, claim.claimToken, { ...okResult('setup'), log });
      // What a server killed between storing a unit result and recording it leaves behind.
      const orphan = unitResultKey(w.scope, claim.taskId, 'sim-0', Number(claim.fence));
      await w.d.objects.put(orphan, '{"unitKey":"sim-0"}');
      const sweeper = w.d.services.uploadSweeper;

      // While the claim is current nothing of its task is touched, however late.
      await sweeper.sweep(later(new Date(), graceSeconds + 60));
      expect(await w.d.objects.stat(orphan)).not.toBeNull();

      await w.d.services.tasks.setStatus(w.user, [claim.taskId], 'WAITING');
      const report = await sweeper.sweep(later(new Date(), graceSeconds + 60));
      expect(report.removedKeys).toContain(orphan);
      expect(await w.d.objects.stat(orphan)).toBeNull();
      expect(result.logKey).not.toBeNull();
      expect(await w.d.objects.stat(result.logKey!)).not.toBeNull();
      expect(await w.d.services.unitResults.logText(result)).toBe(log);
      const dag = (await w.d.services.dags.ofTasks([claim.taskId])).get(claim.taskId)!;
      expect(await w.d.services.dags.serialized(dag)).toMatchObject({ units: expect.any(Array) });
    });

    test('a commit racing the sweep of its own upload either records verified bytes or leaves nothing', async () => {
      const w = await ctx.world();
      const claim = await claimedDiamond(w);
      const sweeper = w.d.services.uploadSweeper;
      for (let round = 0; round < 6; round += 1) {
        const bytes = Buffer.from(`race ${round}`);
        const path = `race-${round}.bin`;
        const ticket = await w.d.services.resultFiles.createUpload(w.worker, claim.claimToken, {
          unitKey: 'sim-1',
          path,
          size: bytes.length,
          sha256: sha256(bytes),
        });
        await put(ticket.url!, bytes);
        const row = await w.d.store.db.resultFileUpload.findUniqueOrThrow({ where: { id: ticket.uploadId } });
        let settled = false;
        const committing = w.d.services.resultFiles.commit(w.worker, claim.claimToken, ticket.uploadId).finally(() => {
          settled = true;
        });
        // Every other round the sweep starts only once the commit has moved the bytes to their final key.
        if (round % 2 === 1) await untilStored(w, row.objectKey, () => settled);
        const [committed] = await Promise.allSettled([committing, sweeper.sweep(later(ticket.expiresAt, graceSeconds + 5))]);
        const files = ((await w.d.services.resultFiles.ofTasks([claim.taskId])).get(claim.taskId) ?? []).filter((f) => f.path === path);
        if (committed.status === 'fulfilled') {
          expect(files.map((f) => f.sha256)).toEqual([sha256(bytes)]);
          expect(await w.d.objects.digest(files[0]!.objectKey)).toMatchObject({ sha256: sha256(bytes) });
        } else {
          // Swept before the commit found its row (NOT_FOUND), or before it moved the staged bytes (nothing uploaded).
          const reason = committed.reason as { code?: string };
          expect(['NOT_FOUND', 'BAD_USER_INPUT']).toContain(reason.code ?? `no error code: ${String(reason)}`);
          expect(files).toEqual([]);
          expect(await w.d.objects.stat(row.objectKey)).toBeNull();
          expect(await w.d.objects.stat(row.stagingKey ?? row.objectKey)).toBeNull();
        }
      }
    });
  });
}

/** Resolves once an object is at `key`, or the writer is done (or 30 s passed) without putting one there. */
async function untilStored(w: CaseWorld, key: string, writerDone: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!writerDone() && Date.now() < deadline && (await w.d.objects.stat(key)) === null)
    await new Promise((resolve) => setImmediate(resolve));
}

async function claimedDiamond(w: CaseWorld) {
  const [task] = await w.actioned(await w.network(), 1, { dag: diamondDag });
  return (await w.claimEach([task!.id], await w.service('uploader'))).get(task!.id)!;
}
