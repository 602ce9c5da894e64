import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  ObjectIntegrityError,
  ObjectNotFoundError,
  PartsNotUploadedError,
  type ObjectStat,
  type ObjectStore,
} from '../../src/domain/objects/ObjectStore.js';
import { pseudoRandomBytes, pseudoRandomStream } from '../support/pseudoRandomBytes.js';

/**
 * One behavioural contract for every ObjectStore backend, run by each backend's test file against a
 * real server (the local directory behind dagkeeper's own HTTP route; s3rver for S3).
 */

/**
 * Things the S3-protocol test server cannot do. Each one skips exactly the assertion that would test
 * the server rather than our code, and says so where it does.
 */
export interface TestServerGaps {
  /** s3rver accepts any SigV4 signature; it only checks the expiry. */
  signatureVerification?: true;
  /** s3rver has no AbortMultipartUpload route (DELETE ?uploadId= is answered 405). */
  abortMultipartUpload?: true;
  /** s3rver lists in directory-walk order, so `a-b/x` comes after `a/x` instead of before it. */
  keyOrderListing?: true;
  /**
   * s3rver completes a multipart upload by reading each listed part's file and dies of an unhandled
   * error when one is missing, where S3 answers InvalidPart; it also takes parts for an upload already
   * completed (into a directory nothing reads again) where S3 answers NoSuchUpload.
   */
  multipartBookkeeping?: true;
}

export interface ContractSubject {
  store: ObjectStore;
  close(): Promise<void>;
  testServerLacks?: TestServerGaps;
}

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
/** S3's minimum size for every part but the last. */
const MIN_PART = 5 * MIB;
const RSS_GROWTH_LIMIT = 256 * MIB;

export function describeObjectStoreContract(name: string, makeStore: () => Promise<ContractSubject>): void {
  describe(`${name} honours the object store contract`, () => {
    let subject: ContractSubject;
    let store: ObjectStore;
    let testNumber = 0;
    /** Every test works under its own prefix, so no test can see another's objects. */
    let prefix: string;

    beforeAll(async () => {
      subject = await makeStore();
      store = subject.store;
      await store.ensureReady();
      await store.ensureReady(); // idempotent
    });
    afterAll(async () => {
      await subject?.close();
    });
    beforeEach(() => {
      testNumber += 1;
      prefix = `contract/t${testNumber}/`;
    });

    const lacks = (gap: keyof TestServerGaps) => subject.testServerLacks?.[gap] === true;

    test('put then get returns the same bytes, with their size and SHA-256', async () => {
      const bytes = await pseudoRandomBytes(100_000);
      const stored = await store.put(`${prefix}blob.bin`, bytes, { size: bytes.length, sha256: sha256Hex(bytes) });
      expect(stored).toEqual({ key: `${prefix}blob.bin`, size: bytes.length, sha256: sha256Hex(bytes) });
      expect(await readAll(await store.get(`${prefix}blob.bin`))).toEqual(bytes);
      expect(await store.digest(`${prefix}blob.bin`)).toEqual(stored);
    });

    test('put accepts strings, buffers and streams, and an empty body', async () => {
      await store.put(`${prefix}text.json`, '{"ü":1}');
      await store.put(`${prefix}buffer.bin`, Buffer.from([1, 2, 3]));
      await store.put(`${prefix}stream.bin`, Readable.from([Buffer.from('ab'), Buffer.from('cd')]));
      const empty = await store.put(`${prefix}empty.bin`, Buffer.alloc(0), { size: 0 });
      expect((await readAll(await store.get(`${prefix}text.json`))).toString('utf8')).toBe('{"ü":1}');
      expect(await readAll(await store.get(`${prefix}buffer.bin`))).toEqual(Buffer.from([1, 2, 3]));
      expect((await readAll(await store.get(`${prefix}stream.bin`))).toString()).toBe('abcd');
      expect(empty).toEqual({ key: `${prefix}empty.bin`, size: 0, sha256: sha256Hex(Buffer.alloc(0)) });
      expect((await readAll(await store.get(`${prefix}empty.bin`))).length).toBe(0);
    });

    test('a body of several parts streams up and reads back whole', async () => {
      const bytes = await pseudoRandomBytes(2 * MIN_PART + 12_345, 'several-parts');
      const stored = await store.put(`${prefix}big.bin`, Readable.from([bytes]), { size: bytes.length });
      expect(stored.sha256).toBe(sha256Hex(bytes));
      expect(sha256Hex(await readAll(await store.get(`${prefix}big.bin`)))).toBe(sha256Hex(bytes));
    });

    test('a second put replaces the object', async () => {
      await store.put(`${prefix}k`, 'first');
      await store.put(`${prefix}k`, 'second');
      expect((await readAll(await store.get(`${prefix}k`))).toString()).toBe('second');
    });

    test('a body whose size differs from the announced size is refused and the previous object kept', async () => {
      await store.put(`${prefix}kept`, 'original');
      await expect(store.put(`${prefix}kept`, 'replacement', { size: 3 })).rejects.toBeInstanceOf(ObjectIntegrityError);
      await expect(store.put(`${prefix}new`, 'abc', { size: 4 })).rejects.toBeInstanceOf(ObjectIntegrityError);
      expect((await readAll(await store.get(`${prefix}kept`))).toString()).toBe('original');
      expect(await store.stat(`${prefix}new`)).toBeNull();
    });

    test('a body whose SHA-256 differs from the announced digest is refused and the previous object kept', async () => {
      await store.put(`${prefix}kept`, 'original');
      const wrong = sha256Hex(Buffer.from('something else'));
      const refusal = store.put(`${prefix}kept`, 'replacement', { sha256: wrong });
      await expect(refusal).rejects.toMatchObject({
        name: 'ObjectIntegrityError',
        expected: { sha256: wrong },
        actual: { size: 11, sha256: sha256Hex(Buffer.from('replacement')) },
      });
      expect((await readAll(await store.get(`${prefix}kept`))).toString()).toBe('original');
    });

    test('a multi-part body with the wrong digest is refused and leaves nothing behind', async () => {
      const bytes = await pseudoRandomBytes(2 * MIN_PART + 1, 'wrong-digest');
      await store.put(`${prefix}kept`, 'original');
      const wrong = sha256Hex(Buffer.from('not these bytes'));
      await expect(store.put(`${prefix}kept`, Readable.from([bytes]), { sha256: wrong })).rejects.toBeInstanceOf(ObjectIntegrityError);
      await expect(store.put(`${prefix}absent`, Readable.from([bytes]), { sha256: wrong })).rejects.toBeInstanceOf(ObjectIntegrityError);
      expect((await readAll(await store.get(`${prefix}kept`))).toString()).toBe('original');
      expect(await keysUnder(store, `${prefix}`)).toEqual([`${prefix}kept`]);
    });

    test('a malformed announcement is refused before any byte is read', async () => {
      await expect(store.put(`${prefix}x`, 'abc', { sha256: 'not-hex' })).rejects.toThrow(/sha256/);
      await expect(store.put(`${prefix}x`, 'abc', { size: -1 })).rejects.toThrow(/size/);
      expect(await store.stat(`${prefix}x`)).toBeNull();
    });

    test('getting or digesting a missing object rejects with ObjectNotFoundError', async () => {
      await expect(store.get(`${prefix}missing`)).rejects.toBeInstanceOf(ObjectNotFoundError);
      await expect(store.get(`${prefix}missing`, { start: 1, end: 2 })).rejects.toBeInstanceOf(ObjectNotFoundError);
      await expect(store.digest(`${prefix}missing`)).rejects.toMatchObject({ key: `${prefix}missing` });
    });

    test('stat reports size and modification time, and null when there is no object', async () => {
      const before = Date.now();
      await store.put(`${prefix}sized`, Buffer.alloc(1234, 7));
      const found = await store.stat(`${prefix}sized`);
      expect(found).toMatchObject({ key: `${prefix}sized`, size: 1234 });
      // Servers keep whole seconds; allow for that and a little clock skew.
      expect(Math.abs((found?.lastModified.getTime() ?? 0) - before)).toBeLessThan(60_000);
      expect(await store.stat(`${prefix}missing`)).toBeNull();
      // A prefix of other keys is not an object.
      await store.put(`${prefix}dir/inside`, 'x');
      expect(await store.stat(`${prefix}dir`)).toBeNull();
    });

    test('a range get returns exactly the inclusive byte range', async () => {
      const bytes = Buffer.from('0123456789abcdefghij');
      await store.put(`${prefix}ranged`, bytes);
      // s3rver reads an end of 0 as "no end", so the ranges here never end at byte 0.
      expect((await readAll(await store.get(`${prefix}ranged`, { start: 5, end: 9 }))).toString()).toBe('56789');
      expect((await readAll(await store.get(`${prefix}ranged`, { start: 0, end: 3 }))).toString()).toBe('0123');
      expect((await readAll(await store.get(`${prefix}ranged`, { start: 15 }))).toString()).toBe('fghij');
      expect((await readAll(await store.get(`${prefix}ranged`, { start: 18, end: 100 }))).toString()).toBe('ij');
    });

    test('a range that is reversed or starts past the end is refused with RangeError', async () => {
      await store.put(`${prefix}ranged`, '0123456789');
      await expect(store.get(`${prefix}ranged`, { start: 5, end: 2 })).rejects.toBeInstanceOf(RangeError);
      await expect(store.get(`${prefix}ranged`, { start: -1 })).rejects.toBeInstanceOf(RangeError);
      await expect(store.get(`${prefix}ranged`, { start: 10 })).rejects.toBeInstanceOf(RangeError);
    });

    test('delete removes the object, and deleting it again or a key never stored succeeds', async () => {
      await store.put(`${prefix}doomed`, 'x');
      await store.put(`${prefix}sibling`, 'y');
      await store.delete(`${prefix}doomed`);
      expect(await store.stat(`${prefix}doomed`)).toBeNull();
      await store.delete(`${prefix}doomed`);
      await store.delete(`${prefix}never/stored`);
      expect(await keysUnder(store, prefix)).toEqual([`${prefix}sibling`]);
    });

    test('list yields every object under a prefix, in key order, with sizes', async () => {
      const keys = ['units/9/result.json', 'units/10/result.json', 'dag.json', 'files/u/a b.txt', 'dag-results/r1.json'];
      for (const key of keys) await store.put(`${prefix}${key}`, key);
      await store.put(`contract/elsewhere-t${testNumber}`, 'not listed');

      const listed: ObjectStat[] = [];
      for await (const item of store.list(prefix)) listed.push(item);
      expect(listed.map((item) => item.key)).toEqual([...keys].sort().map((key) => `${prefix}${key}`));
      const dag = listed.find((item) => item.key === `${prefix}dag.json`);
      expect(dag?.size).toBe(8);
      expect(dag?.lastModified.getTime()).toEqual(expect.any(Number));

      // A prefix may end inside a segment.
      expect(await keysUnder(store, `${prefix}units/1`)).toEqual([`${prefix}units/10/result.json`]);
      expect(await keysUnder(store, `${prefix}nothing-here/`)).toEqual([]);
    });

    test('list orders keys by their bytes, so "u1-b/x" precedes "u1/x"', async () => {
      for (const key of ['u1/x', 'u1-b/x', 'u1.c', 'u10']) await store.put(`${prefix}${key}`, key);
      const listed = await keysUnder(store, prefix);
      const expected = ['u1-b/x', 'u1.c', 'u1/x', 'u10'].map((key) => `${prefix}${key}`);
      if (lacks('keyOrderListing')) {
        // s3rver walks directories in name order, entering u1/ before u1-b/; real S3 sorts keys by their bytes.
        expect([...listed].sort()).toEqual(expected);
      } else {
        expect(listed).toEqual(expected);
      }
    });

    test('a presigned PUT then a presigned GET move the bytes over plain HTTP', async () => {
      const bytes = await pseudoRandomBytes(300_000, 'presigned');
      const key = `${prefix}via http/ü.bin`;
      const uploaded = await fetch(await store.presignPut(key, 60), { method: 'PUT', body: bytes });
      expect(uploaded.status).toBe(200);
      await uploaded.arrayBuffer();

      const downloaded = await fetch(await store.presignGet(key, 60));
      expect(downloaded.status).toBe(200);
      expect(Buffer.from(await downloaded.arrayBuffer())).toEqual(bytes);
      expect(await store.digest(key)).toEqual({ key, size: bytes.length, sha256: sha256Hex(bytes) });
    });

    test('a presigned GET with a download name is served as an attachment of that name', async () => {
      await store.put(`${prefix}result.json`, '{}');
      const response = await fetch(await store.presignGet(`${prefix}result.json`, 60, { downloadName: 'résultat "1".json' }));
      expect(response.status).toBe(200);
      await response.arrayBuffer();
      const disposition = response.headers.get('content-disposition') ?? '';
      expect(disposition).toMatch(/^attachment; filename="r_sultat _1_.json"/);
      expect(disposition).toContain(`filename*=UTF-8''r%C3%A9sultat%20%221%22.json`);
    });

    test('an expired presigned URL is refused', async () => {
      await store.put(`${prefix}expiring`, 'x');
      const get = await store.presignGet(`${prefix}expiring`, 1);
      const put = await store.presignPut(`${prefix}expiring`, 1);
      // The lifetime is counted in whole seconds from a whole-second timestamp.
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      const refusedGet = await fetch(get);
      const refusedPut = await fetch(put, { method: 'PUT', body: 'overwritten' });
      expect([refusedGet.status, refusedPut.status]).toEqual([403, 403]);
      await Promise.all([refusedGet.arrayBuffer(), refusedPut.arrayBuffer()]);
      expect((await readAll(await store.get(`${prefix}expiring`))).toString()).toBe('x');
    });

    test('a presigned URL whose signature was altered is refused', async () => {
      if (lacks('signatureVerification')) {
        // s3rver never checks SigV4 signatures, so there is nothing to observe here. Real S3 and MinIO do.
        return;
      }
      await store.put(`${prefix}guarded`, 'x');
      const refusedGet = await fetch(alterSignature(await store.presignGet(`${prefix}guarded`, 60)));
      const refusedPut = await fetch(alterSignature(await store.presignPut(`${prefix}guarded`, 60)), {
        method: 'PUT',
        body: 'overwritten',
      });
      expect([refusedGet.status, refusedPut.status]).toEqual([403, 403]);
      await Promise.all([refusedGet.arrayBuffer(), refusedPut.arrayBuffer()]);
      expect((await readAll(await store.get(`${prefix}guarded`))).toString()).toBe('x');
    });

    test('a multipart upload through presigned part URLs is assembled in part order on completion', async () => {
      const key = `${prefix}assembled.bin`;
      const first = await pseudoRandomBytes(MIN_PART, 'part-1');
      const second = await pseudoRandomBytes(1000, 'part-2');
      const uploadId = await store.createMultipartUpload(key);

      // Sent last part first: the part number, not the arrival order, places each part.
      const etag2 = await putPart(await store.presignUploadPart(key, uploadId, 2, 60), second);
      const etag1 = await putPart(await store.presignUploadPart(key, uploadId, 1, 60), first);
      expect(await store.stat(key)).toBeNull();

      await store.completeMultipartUpload(key, uploadId, [
        { partNumber: 1, etag: etag1 },
        { partNumber: 2, etag: etag2 },
      ]);
      const whole = Buffer.concat([first, second]);
      expect(await store.digest(key)).toEqual({ key, size: whole.length, sha256: sha256Hex(whole) });
    });

    test.each([
      ['in order, each part once', [1, 2, 3]],
      ['out of order, one part sent twice', [3, 1, 2, 1]],
    ])('an upload announced with its part size comes out whole: parts sent %s', async (_how, order) => {
      const key = `${prefix}sized-${order.join('')}.bin`;
      const parts = [
        await pseudoRandomBytes(MIN_PART, 'sized-1'),
        await pseudoRandomBytes(MIN_PART, 'sized-2'),
        await pseudoRandomBytes(777, 'sized-3'),
      ];
      const uploadId = await store.createMultipartUpload(key, { partSize: MIN_PART });
      const etags = new Map<number, string>();
      for (const partNumber of order) {
        etags.set(partNumber, await putPart(await store.presignUploadPart(key, uploadId, partNumber, 60), parts[partNumber - 1]!));
      }
      await store.completeMultipartUpload(
        key,
        uploadId,
        [1, 2, 3].map((partNumber) => ({ partNumber, etag: etags.get(partNumber)! })),
      );
      const whole = Buffer.concat(parts);
      expect(await store.digest(key)).toEqual({ key, size: whole.length, sha256: sha256Hex(whole) });
      expect(sha256Hex(await readAll(await store.get(key)))).toBe(sha256Hex(whole));
    });

    test('a URL signed for a size takes a body of exactly that size, and any other length is refused', async () => {
      const key = `${prefix}sized.bin`;
      const bytes = await pseudoRandomBytes(1000, 'sized-url');
      const url = await store.presignPut(key, 60, { size: bytes.length });
      if (!lacks('signatureVerification')) {
        // S3 checks the Content-Length the URL's signature covers; the local route checks the size it signed.
        for (const other of [bytes.subarray(0, 999), Buffer.concat([bytes, Buffer.from('x')])]) {
          const refused = await fetch(url, { method: 'PUT', body: other });
          await refused.arrayBuffer();
          expect([other.length, refused.status >= 400 && refused.status < 500]).toEqual([other.length, true]);
        }
        expect(await store.stat(key)).toBeNull();
      }
      const accepted = await fetch(url, { method: 'PUT', body: bytes });
      await accepted.arrayBuffer();
      expect(accepted.status).toBe(200);
      expect(await store.digest(key)).toEqual({ key, size: bytes.length, sha256: sha256Hex(bytes) });
    });

    test('move puts the object at the new key, replacing any there, and leaves nothing at the old one', async () => {
      const bytes = await pseudoRandomBytes(70_000, 'moved');
      await store.put(`${prefix}uploads/u/a.bin`, bytes);
      await store.put(`${prefix}files/u/a.bin`, 'an older object');
      await store.move(`${prefix}uploads/u/a.bin`, `${prefix}files/u/a.bin`);
      expect(await store.stat(`${prefix}uploads/u/a.bin`)).toBeNull();
      expect(await store.digest(`${prefix}files/u/a.bin`)).toEqual({
        key: `${prefix}files/u/a.bin`,
        size: bytes.length,
        sha256: sha256Hex(bytes),
      });
      expect(await keysUnder(store, prefix)).toEqual([`${prefix}files/u/a.bin`]);
      await expect(store.move(`${prefix}uploads/u/a.bin`, `${prefix}files/u/b.bin`)).rejects.toBeInstanceOf(ObjectNotFoundError);
      expect(await store.stat(`${prefix}files/u/b.bin`)).toBeNull();
    });

    test('completing with a part the store does not hold names it and leaves the upload open for it', async () => {
      const key = `${prefix}gappy.bin`;
      const parts = [
        await pseudoRandomBytes(MIN_PART, 'gappy-1'),
        await pseudoRandomBytes(MIN_PART, 'gappy-2'),
        await pseudoRandomBytes(500, 'gappy-3'),
      ];
      const uploadId = await store.createMultipartUpload(key, { partSize: MIN_PART });
      const send = async (partNumber: number) => ({
        partNumber,
        etag: await putPart(
          await store.presignUploadPart(key, uploadId, partNumber, 60, { size: parts[partNumber - 1]!.length }),
          parts[partNumber - 1]!,
        ),
      });
      const first = await send(1);
      const last = await send(3);
      const never = { partNumber: 2, etag: first.etag };
      // s3rver cannot be asked: it crashes reading the missing part's file. S3 answers InvalidPart,
      // which S3ObjectStore turns into this error, naming the parts through ListParts.
      if (!lacks('multipartBookkeeping')) {
        await expect(store.completeMultipartUpload(key, uploadId, [first, never, last])).rejects.toEqual(
          new PartsNotUploadedError(key, [2]),
        );
        expect(await store.stat(key)).toBeNull();
      }
      await store.completeMultipartUpload(key, uploadId, [first, await send(2), last]);
      const whole = Buffer.concat(parts);
      expect(await store.digest(key)).toEqual({ key, size: whole.length, sha256: sha256Hex(whole) });
    });

    test("once completed, the upload's part URLs change nothing", async () => {
      const key = `${prefix}sealed.bin`;
      const bytes = await pseudoRandomBytes(1000, 'sealed');
      const uploadId = await store.createMultipartUpload(key, { partSize: MIN_PART });
      const url = await store.presignUploadPart(key, uploadId, 1, 60, { size: bytes.length });
      await store.completeMultipartUpload(key, uploadId, [{ partNumber: 1, etag: await putPart(url, bytes) }]);

      const late = await fetch(url, { method: 'PUT', body: Buffer.alloc(bytes.length, 0xee) });
      await late.arrayBuffer();
      // S3 answers NoSuchUpload (404) and the local route UPLOAD_NOT_FOUND; s3rver takes the bytes into a folder nothing reads.
      if (!lacks('multipartBookkeeping')) expect(late.status).toBe(404);
      expect(await store.digest(key)).toEqual({ key, size: bytes.length, sha256: sha256Hex(bytes) });
      expect(await keysUnder(store, prefix)).toEqual([key]);
    });

    test('an aborted multipart upload leaves no object', async () => {
      const key = `${prefix}abandoned.bin`;
      const uploadId = await store.createMultipartUpload(key);
      const etag = await putPart(await store.presignUploadPart(key, uploadId, 1, 60), Buffer.from('partial'));
      if (lacks('abortMultipartUpload')) {
        // s3rver cannot abort; all this can show is that an uncompleted upload is invisible.
        expect(await store.stat(key)).toBeNull();
        expect(await keysUnder(store, prefix)).toEqual([]);
        return;
      }
      await store.abortMultipartUpload(key, uploadId);
      await store.abortMultipartUpload(key, uploadId); // abort is cleanup; repeating it is harmless
      // The local store's UploadNotFoundError is S3's NoSuchUpload.
      await expect(store.completeMultipartUpload(key, uploadId, [{ partNumber: 1, etag }])).rejects.toMatchObject(
        store.kind === 'local' ? { name: 'UploadNotFoundError' } : { code: 'NoSuchUpload' },
      );
      expect(await store.stat(key)).toBeNull();
      expect(await keysUnder(store, prefix)).toEqual([]);
    });

    test('a backend with a staging area of its own offers a staging sweep: what was untouched since the cutoff goes, newer staging and stored objects stay', async () => {
      // The local directory keeps bodies being written and multipart uploads beside its objects; S3 keeps them out of reach.
      expect(store.removeAbandonedStaging !== undefined).toBe(store.kind === 'local');
      if (store.removeAbandonedStaging === undefined) return;
      const stored = `${prefix}stored.bin`;
      await store.put(stored, 'stored bytes');
      const key = `${prefix}staged.bin`;
      const bytes = Buffer.from('first part');
      const uploadId = await store.createMultipartUpload(key, { partSize: MIN_PART });
      const url = await store.presignUploadPart(key, uploadId, 1, 60, { size: bytes.length });

      // Nothing here is an hour old: the upload in progress keeps taking parts.
      await store.removeAbandonedStaging(new Date(Date.now() - 3_600_000));
      const etag = await putPart(url, bytes);

      // Everything is older than a cutoff a minute ahead: the upload goes, with its parts; the stored object stays.
      expect(await store.removeAbandonedStaging(new Date(Date.now() + 60_000))).toBeGreaterThanOrEqual(1);
      const late = await fetch(url, { method: 'PUT', body: bytes });
      await late.arrayBuffer();
      expect(late.status).toBe(404);
      await expect(store.completeMultipartUpload(key, uploadId, [{ partNumber: 1, etag }])).rejects.toMatchObject({
        name: 'UploadNotFoundError',
      });
      expect((await readAll(await store.get(stored))).toString('utf8')).toBe('stored bytes');
      expect(await keysUnder(store, prefix)).toEqual([stored]);
    });

    test('a 1 GiB body streams up and back with matching SHA-256 while memory stays bounded', async () => {
      const key = `${prefix}one-gib.bin`;
      const expected = await digestOf(pseudoRandomStream(GIB, 'one-gib'));

      const memory = watchRssGrowth();
      try {
        const stored = await store.put(key, pseudoRandomStream(GIB, 'one-gib'), { size: GIB, sha256: expected });
        expect(stored).toEqual({ key, size: GIB, sha256: expected });
        expect(await digestOf(await store.get(key))).toBe(expected);
      } finally {
        memory.stop();
      }
      expect(memory.peakGrowth()).toBeLessThan(RSS_GROWTH_LIMIT);
      await store.delete(key);
    }, 300_000);
  });
}

async function putPart(url: string, bytes: Buffer): Promise<string> {
  const response = await fetch(url, { method: 'PUT', body: bytes });
  await response.arrayBuffer();
  expect(response.status).toBe(200);
  const etag = response.headers.get('etag');
  if (etag === null) throw new Error('the part upload returned no ETag');
  return etag;
}

/** Flips one hex digit of the URL's signature, whichever backend signed it. */
function alterSignature(presigned: string): string {
  const url = new URL(presigned);
  const name = ['sig', 'X-Amz-Signature'].find((candidate) => url.searchParams.has(candidate));
  if (name === undefined) throw new Error(`no signature parameter in ${presigned}`);
  const signature = url.searchParams.get(name) ?? '';
  url.searchParams.set(name, (signature[0] === '0' ? '1' : '0') + signature.slice(1));
  return url.toString();
}

async function keysUnder(store: ObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const item of store.list(prefix)) keys.push(item.key);
  return keys;
}

async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function digestOf(stream: AsyncIterable<Buffer>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk);
  return hash.digest('hex');
}

function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Samples resident memory while a transfer runs; growth is measured against the level at the start. */
function watchRssGrowth(): { stop(): void; peakGrowth(): number } {
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 25);
  return {
    stop: () => {
      peak = Math.max(peak, process.memoryUsage.rss());
      clearInterval(timer);
    },
    peakGrowth: () => peak - baseline,
  };
}
