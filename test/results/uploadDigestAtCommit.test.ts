import { createHash } from 'node:crypto';
import type { Principal } from '../../src/domain/principal.js';
import { startDomain } from '../support/domainHarness.js';
import type { DomainHarness } from '../support/domainHarness.js';
import { createNetwork, diamondDag } from '../support/fixtures.js';
import { pseudoRandomBytes } from '../support/pseudoRandomBytes.js';
import { putAll } from '../support/uploadTicket.js';

const MIB = 1024 * 1024;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe("a ResultFile's digest given at commit instead of when the upload opens (real PostgreSQL, s3rver)", () => {
  let h: DomainHarness;
  let user: Principal;
  let worker: Principal;
  let serviceId: string;
  let net: Awaited<ReturnType<typeof createNetwork>>;

  beforeAll(async () => {
    h = await startDomain({ multipartPartBytes: 5 * MIB });
    user = await h.user('alice');
    worker = await h.compute('worker');
    serviceId = (await h.services.compute.register(worker, 'w')).id;
    net = await createNetwork(h.services, user);
  });
  afterAll(async () => {
    await h?.close();
  });

  async function claimToken(): Promise<string> {
    const [task] = await h.services.tasks.create(user, net.transformations[0]!.scopedKey, 1, { dag: diamondDag });
    await h.services.tasks.action(user, net.network.scopedKey, [task!.id]);
    for (;;) {
      const [claim] = await h.services.claims.claim(worker, serviceId, 1, ['demo']);
      if (claim === undefined) throw new Error('the new task never became claimable');
      if (claim.taskId === task!.id) return claim.claimToken;
    }
  }

  test.each([
    ['one PUT', 1000],
    ['parts', 5 * MIB + 1000],
  ])('sent in %s, the file is recorded with the digest given at commit', async (_how, size) => {
    const token = await claimToken();
    const bytes = await pseudoRandomBytes(size, `late-${size}`);
    const ticket = await h.services.resultFiles.createUpload(worker, token, { unitKey: 'setup', path: 'late.bin', size });
    expect((await h.state.db.resultFileUpload.findUnique({ where: { id: ticket.uploadId } }))?.sha256).toBeNull();
    const file = await h.services.resultFiles.commit(
      worker,
      token,
      ticket.uploadId,
      await putAll(ticket, bytes),
      sha256(bytes).toUpperCase(),
    );
    expect(file).toMatchObject({ path: 'late.bin', size, sha256: sha256(bytes) });
    // A commit retried after a lost answer finds the same file.
    await expect(h.services.resultFiles.commit(worker, token, ticket.uploadId, [], sha256(bytes))).resolves.toMatchObject({ id: file.id });
  });

  test('a commit with no digest at all is refused, and the upload can still be committed with one', async () => {
    const token = await claimToken();
    const bytes = await pseudoRandomBytes(500, 'none');
    const ticket = await h.services.resultFiles.createUpload(worker, token, { unitKey: 'setup', path: 'none.bin', size: bytes.length });
    await putAll(ticket, bytes);
    await expect(h.services.resultFiles.commit(worker, token, ticket.uploadId)).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
      message: expect.stringMatching(/sha256 is required/),
    });
    await expect(h.services.resultFiles.commit(worker, token, ticket.uploadId, [], sha256(bytes))).resolves.toMatchObject({
      sha256: sha256(bytes),
    });
  });

  test('a digest at commit that contradicts the one announced at opening is refused before anything is checked or kept', async () => {
    const token = await claimToken();
    const bytes = await pseudoRandomBytes(500, 'both');
    const ticket = await h.services.resultFiles.createUpload(worker, token, {
      unitKey: 'setup',
      path: 'both.bin',
      size: bytes.length,
      sha256: sha256(bytes),
    });
    await putAll(ticket, bytes);
    await expect(h.services.resultFiles.commit(worker, token, ticket.uploadId, [], 'ab'.repeat(32))).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
      message: expect.stringMatching(/contradicts/),
    });
    await expect(h.services.resultFiles.commit(worker, token, ticket.uploadId, [], 'not hex')).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
    });
    expect(await h.state.db.resultFile.count({ where: { path: 'both.bin' } })).toBe(0);
    await expect(h.services.resultFiles.commit(worker, token, ticket.uploadId, [], sha256(bytes))).resolves.toMatchObject({
      sha256: sha256(bytes),
    });
  });

  test('bytes that are not the ones the digest at commit names are refused as CHECKSUM_MISMATCH', async () => {
    const token = await claimToken();
    const bytes = await pseudoRandomBytes(500, 'wrong');
    const ticket = await h.services.resultFiles.createUpload(worker, token, { unitKey: 'setup', path: 'wrong.bin', size: bytes.length });
    await putAll(ticket, bytes);
    await expect(h.services.resultFiles.commit(worker, token, ticket.uploadId, [], sha256(Buffer.from('other')))).rejects.toMatchObject({
      code: 'CHECKSUM_MISMATCH',
    });
    expect(await h.state.db.resultFile.count({ where: { path: 'wrong.bin' } })).toBe(0);
  });
});
