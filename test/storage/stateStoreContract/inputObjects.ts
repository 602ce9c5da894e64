import { createHash } from 'node:crypto';
import { parseScope } from '../../../src/domain/scope.js';
import { uploadSweepGraceSeconds as graceSeconds } from '../../support/stateStoreHarness.js';
import { putAll } from '../../support/uploadTicket.js';
import type { CaseWorld } from './caseWorld.js';
import type { ContractContext } from './context.js';

const sha256Of = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const later = (date: Date, seconds: number) => new Date(date.getTime() + seconds * 1000);

/** Opens an upload of `content` and sends its bytes, without committing. */
async function sent(w: CaseWorld, content: Buffer, key?: string) {
  const answer = await w.d.services.inputs.openUpload(w.user, {
    scope: w.scope,
    sha256: sha256Of(content),
    size: content.length,
    ...(key === undefined ? {} : { key }),
  });
  if (answer.upload === null) throw new Error('the content was stored already');
  return { ticket: answer.upload, parts: await putAll(answer.upload, content) };
}

async function storedKeys(w: CaseWorld): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of w.d.objects.list(`inputs/${w.scope}/`)) keys.push(object.key);
  return keys;
}

/** Input objects: stored once per scope whatever the order or overlap of their uploads, keys for good. */
export function describeInputObjects(ctx: ContractContext): void {
  describe('input objects', () => {
    test('uploads of one content committed at the same time store it once: every commit answers with the one object', async () => {
      const w = await ctx.world();
      const content = Buffer.from('{"protein": "the same for everyone"}');
      const uploads = await Promise.all([sent(w, content, 'Protein-a'), sent(w, content, 'Protein-b'), sent(w, content)]);
      const objects = await Promise.all(uploads.map((u) => w.d.services.inputs.commitUpload(w.user, u.ticket.uploadId, u.parts)));
      expect(new Set(objects.map((o) => o.id)).size).toBe(1);
      expect(await storedKeys(w)).toEqual([`inputs/${w.scope}/${sha256Of(content)}`]);
      expect(await w.d.store.db.inputObject.count({ where: { sha256: sha256Of(content) } })).toBe(1);
      const stored = await w.d.services.inputs.get(w.user, w.scope, sha256Of(content));
      expect([...(stored?.keys ?? [])].sort()).toEqual(['Protein-a', 'Protein-b']);
    });

    test('the repository records an object once per scope and a key for one content, and finds only within the scope', async () => {
      const w = await ctx.world();
      const other = await ctx.world();
      const inputs = w.d.store.access.inputs;
      const scope = parseScope(w.scope);
      const object = {
        scope,
        sha256: 'c'.repeat(64),
        size: 3,
        encoding: 'IDENTITY' as const,
        storedSize: 3,
        objectKey: `inputs/${w.scope}/x`,
      };
      expect(await inputs.insertObject(object)).toBe(true);
      expect(await inputs.insertObject({ ...object, storedSize: 2 })).toBe(false);
      expect(await inputs.insertObject({ ...object, scope: parseScope(other.scope) })).toBe(true);
      await inputs.insertObject({ ...object, sha256: 'd'.repeat(64) });

      expect(await inputs.attachKey(scope, 'K-1', 'c'.repeat(64))).toBe('c'.repeat(64));
      expect(await inputs.attachKey(scope, 'K-0', 'c'.repeat(64))).toBe('c'.repeat(64));
      expect(await inputs.attachKey(scope, 'K-1', 'd'.repeat(64))).toBe('c'.repeat(64));
      const [found] = await inputs.find(scope, { sha256s: [], keys: ['K-0'] });
      expect(found).toMatchObject({ sha256: 'c'.repeat(64), storedSize: 3, keys: ['K-1', 'K-0'] });
      expect(await inputs.find(parseScope(other.scope), { sha256s: [], keys: ['K-1'] })).toEqual([]);
      expect(await inputs.find(parseScope(`${w.scope}x`), { sha256s: ['c'.repeat(64)], keys: [] })).toEqual([]);
    });

    test('an upload left uncommitted is swept, row and bytes, once its URLs expired and the grace passed', async () => {
      const w = await ctx.worldOnOwnStore();
      const { ticket } = await sent(w, Buffer.from('abandoned input'));
      await w.d.services.uploadSweeper.sweep(later(ticket.expiresAt, graceSeconds - 5));
      expect(await w.d.store.db.inputUpload.count({ where: { id: ticket.uploadId } })).toBe(1);
      expect(await storedKeys(w)).toHaveLength(1);

      const report = await w.d.services.uploadSweeper.sweep(later(ticket.expiresAt, graceSeconds + 5));
      expect(report.inputUploads).toBe(1);
      expect(await w.d.store.db.inputUpload.count({ where: { id: ticket.uploadId } })).toBe(0);
      expect(await storedKeys(w)).toEqual([]);
    });
  });
}
