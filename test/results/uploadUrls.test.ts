import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../../src/client/ApiClient.js';
import { uploadOutputFile } from '../../src/worker/uploadOutputFile.js';
import { WorkerApi } from '../../src/worker/WorkerApi.js';
import { buildBadInputWorld, codesOf, postOperation, sha256Of } from '../security/badInputWorld.js';
import type { BadInputWorld, RawAnswer } from '../security/badInputWorld.js';
import { pseudoRandomBytes } from '../support/pseudoRandomBytes.js';
import { startS3rver } from '../support/s3rver.js';
import type { S3TestServer } from '../support/s3rver.js';
import { startTestApp } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';

/**
 * ResultFile upload URLs, through a real server on each object store (the local directory behind
 * dagkeeper's own signed-URL route, and S3 through s3rver): committed bytes cannot be changed through
 * any URL, URLs take only the bytes they were signed for, one answer carries a bounded number of part
 * URLs, and a commit that lacks parts keeps the upload for them.
 */

const MiB = 1024 * 1024;
const partBytes = 5 * MiB;
const perAnswer = 2;

interface Ticket {
  uploadId: string;
  url: string | null;
  parts: Array<{ partNumber: number; url: string; offset: number; size: number }>;
  partSize: number | null;
  partCount: number;
}

const ticketFields = 'uploadId url parts { partNumber url offset size } partSize partCount';
const createUpload = `mutation ($c: String!, $path: String!, $size: SafeInt!, $sha: String) {
  createResultFileUpload(claimToken: $c, unitKey: "setup", path: $path, size: $size, sha256: $sha) { ${ticketFields} } }`;
const continueUpload = `mutation ($c: String!, $u: ID!, $first: Int) {
  continueResultFileUpload(claimToken: $c, uploadId: $u, firstPartNumber: $first) { ${ticketFields} } }`;
const commitUpload = `mutation ($c: String!, $u: ID!, $parts: [UploadedPartInput!]) {
  commitResultFile(claimToken: $c, uploadId: $u, parts: $parts) { path size sha256 downloadUrl } }`;

async function put(url: string, body: Buffer): Promise<{ status: number; etag: string; code?: string }> {
  const response = await fetch(url, { method: 'PUT', body });
  const text = await response.text();
  const code = text.startsWith('{') ? (JSON.parse(text) as { error?: { code?: string } }).error?.code : undefined;
  return { status: response.status, etag: response.headers.get('etag') ?? '', ...(code === undefined ? {} : { code }) };
}

async function download(url: string): Promise<Buffer> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

const stores: Array<[string, () => Promise<{ env: Record<string, string>; close(): Promise<void> }>]> = [
  ['the local store', async () => ({ env: {}, close: async () => undefined })],
  [
    'S3 (s3rver)',
    async () => {
      const s3: S3TestServer = await startS3rver();
      return {
        env: {
          S3_ENDPOINT: `http://${s3.endPoint}:${s3.port}`,
          S3_ACCESS_KEY: s3.accessKey,
          S3_SECRET_KEY: s3.secretKey,
          S3_BUCKET: s3.bucket,
        },
        close: () => s3.close(),
      };
    },
  ],
];

describe.each(stores)('ResultFile upload URLs on %s', (storeName, startStore) => {
  const local = storeName === 'the local store';
  // s3rver dies reading a part it lacks (test/storage/objectStore.contract.ts), where S3 answers InvalidPart.
  const testOnLocalStore = local ? test : test.skip;
  let store: { env: Record<string, string>; close(): Promise<void> } | undefined;
  let server: TestApp | undefined;
  let world: BadInputWorld;
  let scratch: string;

  beforeAll(async () => {
    store = await startStore();
    server = await startTestApp('postgres', {
      ...store.env,
      DAGKEEPER_MULTIPART_PART_BYTES: String(partBytes),
      DAGKEEPER_UPLOAD_PART_URLS_PER_ANSWER: String(perAnswer),
      DAGKEEPER_COMPUTE_EXPIRY_SECONDS: '3600',
    });
    world = await buildBadInputWorld(server);
    scratch = await mkdtemp(join(tmpdir(), 'dagkeeper-upload-urls-'));
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await store?.close();
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  });

  const send = (query: string, variables: Record<string, unknown>): Promise<RawAnswer> =>
    postOperation(server!, world.tokens.worker, query, { c: world.running.claimToken, ...variables });
  const ticketOf = (answer: RawAnswer, field: 'createResultFileUpload' | 'continueResultFileUpload'): Ticket => {
    expect(answer.body.errors).toBeUndefined();
    return (answer.body.data as Record<string, Ticket>)[field]!;
  };
  const open = async (path: string, bytes: Buffer): Promise<Ticket> =>
    ticketOf(await send(createUpload, { path, size: bytes.length, sha: sha256Of(bytes) }), 'createResultFileUpload');
  const more = async (uploadId: string, first: number): Promise<Ticket> =>
    ticketOf(await send(continueUpload, { u: uploadId, first }), 'continueResultFileUpload');
  const commit = async (uploadId: string, parts: Array<{ partNumber: number; etag: string }> = []) =>
    send(commitUpload, { u: uploadId, parts });
  const committedFile = (answer: RawAnswer) => {
    expect(answer.body.errors).toBeUndefined();
    return (answer.body.data as { commitResultFile: { path: string; size: number; sha256: string; downloadUrl: string } }).commitResultFile;
  };

  /** Every part of `bytes`, fetching part URLs past the first answer's as a worker does. */
  async function putEveryPart(ticket: Ticket, bytes: Buffer, skip: number[] = []) {
    const etags: Array<{ partNumber: number; etag: string }> = [];
    for (let first = 1; first <= ticket.partCount; first += perAnswer) {
      const batch = first === 1 ? ticket.parts : (await more(ticket.uploadId, first)).parts;
      for (const part of batch) {
        if (skip.includes(part.partNumber)) continue;
        const answer = await put(part.url, bytes.subarray(part.offset, part.offset + part.size));
        expect(answer.status).toBe(200);
        etags.push({ partNumber: part.partNumber, etag: answer.etag });
      }
    }
    return etags;
  }

  test('the single PUT URL, used again after the commit, cannot change the committed bytes', async () => {
    const bytes = await pseudoRandomBytes(4000, `single-${storeName}`);
    const ticket = await open('out/single.bin', bytes);
    expect((await put(ticket.url!, bytes)).status).toBe(200);
    const file = committedFile(await commit(ticket.uploadId));

    const late = await put(ticket.url!, Buffer.alloc(bytes.length, 0x42));
    // The local route knows the upload is committed; S3 cannot revoke a presigned URL, which takes the
    // bytes, but it names the upload's own key, which the commit moved the bytes away from.
    expect([late.status, late.code]).toEqual(local ? [404, 'UPLOAD_NOT_FOUND'] : [200, undefined]);
    const downloaded = await download(file.downloadUrl);
    expect(sha256Of(downloaded)).toBe(file.sha256);
    expect(downloaded.equals(bytes)).toBe(true);
  });

  test('a part URL, used again after the commit, cannot change the committed bytes', async () => {
    const bytes = await pseudoRandomBytes(partBytes + 3000, `parts-${storeName}`);
    const ticket = await open('out/parted.bin', bytes);
    expect([ticket.url, ticket.partCount, ticket.partSize]).toEqual([null, 2, partBytes]);
    const file = committedFile(await commit(ticket.uploadId, await putEveryPart(ticket, bytes)));

    const late = await put(ticket.parts[1]!.url, Buffer.alloc(ticket.parts[1]!.size, 0x42));
    // Completing ends the upload: S3 answers NoSuchUpload, the local route UPLOAD_NOT_FOUND (s3rver takes
    // the bytes into a folder nothing reads again).
    if (local) expect([late.status, late.code]).toEqual([404, 'UPLOAD_NOT_FOUND']);
    const downloaded = await download(file.downloadUrl);
    expect(sha256Of(downloaded)).toBe(sha256Of(bytes));
  });

  test("each URL is signed for its own size: the file's, or its part's", async () => {
    const bytes = await pseudoRandomBytes(2 * partBytes + 10, `sizes-${storeName}`);
    const ticket = await open('out/sizes.bin', bytes);
    expect(ticket.parts.map((part) => part.size)).toEqual([partBytes, partBytes]);
    const last = (await more(ticket.uploadId, 3)).parts;
    expect(last.map((part) => [part.partNumber, part.offset, part.size])).toEqual([[3, 2 * partBytes, 10]]);
    if (local) {
      expect(new URL(last[0]!.url).searchParams.get('size')).toBe('10');
      const tooLong = await put(last[0]!.url, Buffer.alloc(11));
      expect([tooLong.status, tooLong.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    } else {
      // S3 refuses another Content-Length by the signature; s3rver does not check signatures.
      expect(new URL(last[0]!.url).searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;host');
    }
  });

  test('a commit lacking parts names them with BAD_USER_INPUT and keeps the upload; sending them and committing again records the file', async () => {
    const bytes = await pseudoRandomBytes(2 * partBytes + 777, `gaps-${storeName}`);
    const ticket = await open('out/gaps.bin', bytes);
    const sent = await putEveryPart(ticket, bytes, [2]);
    const refused = await commit(ticket.uploadId, sent);
    expect(codesOf(refused)).toEqual(['BAD_USER_INPUT']);
    expect(refused.body.errors![0]!.extensions).toMatchObject({ missingParts: [2], missingPartCount: 1, uploadId: ticket.uploadId });

    const [second] = (await more(ticket.uploadId, 2)).parts;
    const resent = await put(second!.url, bytes.subarray(second!.offset, second!.offset + second!.size));
    expect(resent.status).toBe(200);
    const parts = [...sent, { partNumber: 2, etag: resent.etag }].sort((a, b) => a.partNumber - b.partNumber);
    const file = committedFile(await commit(ticket.uploadId, parts));
    expect(file).toMatchObject({ path: 'out/gaps.bin', size: bytes.length, sha256: sha256Of(bytes) });
    expect(sha256Of(await download(file.downloadUrl))).toBe(sha256Of(bytes));
  });

  testOnLocalStore('a commit listing a part the store never received names it, and the upload stays open', async () => {
    const bytes = await pseudoRandomBytes(partBytes + 100, `unsent-${storeName}`);
    const ticket = await open('out/unsent.bin', bytes);
    const [first] = await putEveryPart(ticket, bytes, [2]);
    const refused = await commit(ticket.uploadId, [first!, { partNumber: 2, etag: '"not-an-etag-the-store-gave"' }]);
    expect(codesOf(refused)).toEqual(['BAD_USER_INPUT']);
    expect(refused.body.errors![0]!.extensions).toMatchObject({ missingParts: [2] });
    const second = ticket.parts[1]!;
    const resent = await put(second.url, bytes.subarray(second.offset, second.offset + second.size));
    expect(committedFile(await commit(ticket.uploadId, [first!, { partNumber: 2, etag: resent.etag }])).sha256).toBe(sha256Of(bytes));
  });

  test("a 5 TiB file gets one answer's worth of part URLs at a time, and the rest from continueResultFileUpload", async () => {
    const size = 5 * 1024 ** 4;
    const answer = await send(createUpload, { path: 'out/huge.bin', size, sha: null });
    const ticket = ticketOf(answer, 'createResultFileUpload');
    expect(ticket.partCount).toBe(Math.ceil(size / ticket.partSize!));
    expect(ticket.partCount).toBeLessThanOrEqual(10_000);
    expect(ticket.parts.map((part) => part.partNumber)).toEqual([1, 2]);
    const tail = await more(ticket.uploadId, ticket.partCount - 1);
    expect(tail.parts.map((part) => [part.partNumber, part.offset + part.size])).toEqual([
      [ticket.partCount - 1, (ticket.partCount - 1) * ticket.partSize!],
      [ticket.partCount, size],
    ]);
    const past = await send(continueUpload, { u: ticket.uploadId, first: ticket.partCount + 1 });
    expect(codesOf(past)).toEqual(['BAD_USER_INPUT']);
  });

  test('the worker uploads a file of more parts than one answer holds, asking for the rest as it goes', async () => {
    const bytes = await pseudoRandomBytes(3 * partBytes + 1234, `worker-${storeName}`);
    const path = join(scratch, `worker-${local ? 'local' : 's3'}.bin`);
    await writeFile(path, bytes);
    const api = new WorkerApi(new ApiClient(server!.app.url, world.tokens.worker), { maxElapsedMs: 30_000 });
    await uploadOutputFile(api, world.running.claimToken, 'setup', { path: 'out/by-worker.bin', absolutePath: path, size: bytes.length });

    const { body } = await postOperation(
      server!,
      world.tokens.user,
      'query ($id: ID!) { task(id: $id) { resultFiles { path sha256 downloadUrl } } }',
      { id: world.running.taskId },
    );
    const files = (body.data as { task: { resultFiles: Array<{ path: string; sha256: string; downloadUrl: string }> } }).task.resultFiles;
    const file = files.find((candidate) => candidate.path === 'out/by-worker.bin');
    expect(file?.sha256).toBe(sha256Of(bytes));
    expect(sha256Of(await download(file!.downloadUrl))).toBe(sha256Of(bytes));
  });

  // Only the local store moves bytes through the server; S3 URLs go straight to S3.
  testOnLocalStore(
    'dagkeeper_object_bytes_total counts the bytes of every object that passes through signed URLs, by direction',
    async () => {
      const counted = async () => {
        const text = await (await fetch(`${server!.app.url}/metrics`)).text();
        const value = (direction: string) =>
          Number(new RegExp(`^dagkeeper_object_bytes_total\\{direction="${direction}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
        return { upload: value('upload'), download: value('download') };
      };
      const before = await counted();
      const single = await pseudoRandomBytes(3000, 'counted-single');
      const parted = await pseudoRandomBytes(partBytes + 500, 'counted-parts');
      const singleTicket = await open('out/counted-single.bin', single);
      expect((await put(singleTicket.url!, single)).status).toBe(200);
      const singleFile = committedFile(await commit(singleTicket.uploadId));
      const partedTicket = await open('out/counted-parts.bin', parted);
      const partedFile = committedFile(await commit(partedTicket.uploadId, await putEveryPart(partedTicket, parted)));
      // Refused before its body is read: nothing moved.
      expect((await put((await open('out/refused.bin', Buffer.alloc(10))).url!, Buffer.alloc(20))).status).toBe(413);
      await download(singleFile.downloadUrl);
      await download(partedFile.downloadUrl);
      const ranged = await fetch(singleFile.downloadUrl, { headers: { range: 'bytes=0-99' } });
      expect([ranged.status, (await ranged.arrayBuffer()).byteLength]).toEqual([206, 100]);

      const after = await counted();
      expect({ upload: after.upload - before.upload, download: after.download - before.download }).toEqual({
        upload: single.length + parted.length,
        download: single.length + parted.length + 100,
      });
    },
  );

  test('a committed upload hands out no more URLs', async () => {
    const bytes = Buffer.from('small and done');
    const ticket = await open('out/done.txt', bytes);
    expect((await put(ticket.url!, bytes)).status).toBe(200);
    committedFile(await commit(ticket.uploadId));
    expect(codesOf(await send(continueUpload, { u: ticket.uploadId, first: 1 }))).toEqual(['CONFLICT']);
  });
});
