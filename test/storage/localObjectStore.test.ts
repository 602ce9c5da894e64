import { createHash } from 'node:crypto';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { signedObjectUrl } from '../../src/storage/objects/localUrlSigning.js';
import type { LocalObjectStore } from '../../src/storage/objects/LocalObjectStore.js';
import { PartsNotUploadedError } from '../../src/domain/objects/ObjectStore.js';
import { InvalidObjectKeyError } from '../../src/domain/objects/objectKeyRules.js';
import { startLocalObjectServer, TEST_SIGNING_SECRET, type LocalObjectServer } from '../support/localObjectServer.js';
import { describeObjectStoreContract } from './objectStore.contract.js';

describeObjectStoreContract('local directory', async () => {
  const server = await startLocalObjectServer();
  return { store: server.store, close: () => server.close() };
});

describe('LocalObjectStore', () => {
  let server: LocalObjectServer;
  let store: LocalObjectStore;
  beforeAll(async () => {
    server = await startLocalObjectServer();
    store = server.store;
  });
  afterAll(async () => {
    await server?.close();
  });

  const escapingKeys = ['../outside', 'a/../../outside', '/etc/passwd', '..', 'a//b', 'a/./b', 'a/', 'a\\..\\b', 'a\u0000b', ''];

  test.each(escapingKeys)('refuses the key %j before touching the disk', async (key) => {
    await expect(store.put(key, 'x')).rejects.toBeInstanceOf(InvalidObjectKeyError);
    await expect(store.get(key)).rejects.toBeInstanceOf(InvalidObjectKeyError);
    await expect(store.stat(key)).rejects.toBeInstanceOf(InvalidObjectKeyError);
    await expect(store.delete(key)).rejects.toBeInstanceOf(InvalidObjectKeyError);
    await expect(store.presignGet(key, 60)).rejects.toBeInstanceOf(InvalidObjectKeyError);
    await expect(store.createMultipartUpload(key)).rejects.toBeInstanceOf(InvalidObjectKeyError);
    await expect(stat(join(server.root, '..', 'outside'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  test("the digest of an object is its bytes' even when the file was changed on disk after it was written", async () => {
    const key = 'digests/tampered';
    const written = await store.put(key, Buffer.alloc(4096, 1));
    await expect(store.digest(key)).resolves.toEqual(written);
    // Same size, other bytes, written in place: the digest taken while writing no longer counts.
    const handle = await open(join(server.root, 'objects', 'digests', 'tampered'), 'r+');
    await handle.write(Buffer.from([2]), 0, 1, 100);
    await handle.close();
    const bytes = Buffer.alloc(4096, 1);
    bytes[100] = 2;
    await expect(store.digest(key)).resolves.toEqual({ key, size: 4096, sha256: createHash('sha256').update(bytes).digest('hex') });
  });

  test('an upload announced with its part size refuses a short part before the last one, and a part longer than the size', async () => {
    const key = 'local/sized-short';
    const uploadId = await store.createMultipartUpload(key, { partSize: 1024 });
    const short = await store.putPart(key, uploadId, 1, Readable.from([Buffer.alloc(10)]), 10);
    const last = await store.putPart(key, uploadId, 2, Readable.from([Buffer.alloc(4)]), 4);
    await expect(store.completeMultipartUpload(key, uploadId, [short, last])).rejects.toThrow(/part 1/);
    await expect(store.putPart(key, uploadId, 3, Readable.from([Buffer.alloc(1025)]), 1025)).rejects.toThrow(/at most 1024/);
    expect(await store.stat(key)).toBeNull();
    await store.abortMultipartUpload(key, uploadId);
  });

  // Completing publishes the assembly file itself: a part still being written into it then would
  // change the bytes of the published object.
  test('an upload written in place is not completed while a part is arriving, and a part arriving after completion writes nothing', async () => {
    const key = 'local/in-flight';
    const uploadId = await store.createMultipartUpload(key, { partSize: 1024 });
    const first = await store.putPart(key, uploadId, 1, Readable.from([Buffer.alloc(1024, 1)]), 1024);
    const second = await store.putPart(key, uploadId, 2, Readable.from([Buffer.alloc(100, 2)]), 100);

    // Part 2 sent again, slowly: half of it is in the assembly file, the rest still to come.
    const slow = new PassThrough();
    const resending = store.putPart(key, uploadId, 2, slow, 100);
    slow.write(Buffer.alloc(50, 9));
    const assembly = join(server.root, '.multipart', uploadId, 'assembly');
    await waitUntil(async () => (await readFile(assembly))[1024] === 9);

    await expect(store.completeMultipartUpload(key, uploadId, [first, second])).rejects.toEqual(new PartsNotUploadedError(key, [2]));
    slow.end(Buffer.alloc(50, 9));
    const resent = await resending;
    await store.completeMultipartUpload(key, uploadId, [first, resent]);
    const whole = Buffer.concat([Buffer.alloc(1024, 1), Buffer.alloc(100, 9)]);
    expect(await store.digest(key)).toEqual({ key, size: whole.length, sha256: createHash('sha256').update(whole).digest('hex') });

    await expect(store.putPart(key, uploadId, 2, Readable.from([Buffer.alloc(100, 7)]), 100)).rejects.toThrow(/no multipart upload/);
    expect((await readAllText(await store.get(key))).length).toBe(whole.length);
    expect(await store.digest(key)).toEqual({ key, size: whole.length, sha256: createHash('sha256').update(whole).digest('hex') });
  });

  test('refuses a list prefix that climbs out of the store', async () => {
    await expect(collect(store.list('../'))).rejects.toBeInstanceOf(InvalidObjectKeyError);
    await expect(collect(store.list('a/../../'))).rejects.toBeInstanceOf(InvalidObjectKeyError);
  });

  test('a refused or broken write leaves no file behind, not even in the incoming directory', async () => {
    await expect(store.put('local/refused', 'abc', { size: 99 })).rejects.toThrow(/does not match/);
    const failing = new Readable({
      read() {
        this.destroy(new Error('the source broke'));
      },
    });
    await expect(store.put('local/broken', failing)).rejects.toThrow('the source broke');
    expect(await readdir(join(server.root, '.incoming'))).toEqual([]);
    expect(await store.stat('local/refused')).toBeNull();
    expect(await store.stat('local/broken')).toBeNull();
  });

  test('a key that is already the directory of other keys is refused with a clear error', async () => {
    await store.put('local/parent/child', 'x');
    await expect(store.put('local/parent', 'y')).rejects.toThrow(/cannot also be the directory of other keys/);
    await store.put('local/leaf', 'x');
    await expect(store.put('local/leaf/below', 'y')).rejects.toThrow(/cannot also be the directory of other keys/);
    expect(await readdir(join(server.root, '.incoming'))).toEqual([]);
  });

  test('deleting the last object under a directory removes the emptied directories', async () => {
    await store.put('local/deep/er/est', 'x');
    await store.delete('local/deep/er/est');
    await expect(stat(join(server.root, 'objects', 'local', 'deep'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  test('completing an upload with an ETag other than the one returned for the part is refused', async () => {
    const uploadId = await store.createMultipartUpload('local/mp');
    const part = await store.putPart('local/mp', uploadId, 1, Readable.from([Buffer.from('part')]));
    await expect(
      store.completeMultipartUpload('local/mp', uploadId, [{ partNumber: 1, etag: part.etag.replace(/^./, 'x') }]),
    ).rejects.toThrow(/part 1/);
    await expect(store.completeMultipartUpload('local/other', uploadId, [part])).rejects.toThrow(/no multipart upload/);
    await store.completeMultipartUpload('local/mp', uploadId, [{ ...part, etag: `"${part.etag}"` }]);
    expect(await readAllText(await store.get('local/mp'))).toBe('part');
    expect(await readdir(join(server.root, '.multipart'))).toEqual([]);
  });

  describe('signed object route', () => {
    const nowSeconds = () => Math.floor(Date.now() / 1000);

    test('a GET with an altered signature, key or expiry is refused as SIGNATURE_INVALID', async () => {
      await store.put('route/secret', 'secret');
      await store.put('route/other', 'other');
      const url = new URL(await store.presignGet('route/secret', 60));

      const badSignature = new URL(url);
      badSignature.searchParams.set('sig', '0'.repeat(64));
      const otherKey = new URL(url);
      otherKey.pathname = '/objects/route/other';
      const laterExpiry = new URL(url);
      laterExpiry.searchParams.set('expires', String(nowSeconds() + 3600));
      const unsigned = new URL(url);
      unsigned.searchParams.delete('sig');

      for (const tampered of [badSignature, otherKey, laterExpiry, unsigned]) {
        await expectRefusal(await fetch(tampered), 403, 'SIGNATURE_INVALID');
      }
    });

    test('a URL signed for GET cannot be used to PUT', async () => {
      await store.put('route/read-only', 'keep');
      const response = await fetch(await store.presignGet('route/read-only', 60), { method: 'PUT', body: 'x' });
      await expectRefusal(response, 403, 'SIGNATURE_INVALID');
      expect(await readAllText(await store.get('route/read-only'))).toBe('keep');
    });

    test('an expired URL is refused as URL_EXPIRED', async () => {
      await store.put('route/old', 'x');
      const expired = signedObjectUrl(server.baseUrl, { method: 'GET', key: 'route/old', expires: nowSeconds() - 1 }, TEST_SIGNING_SECRET);
      await expectRefusal(await fetch(expired), 403, 'URL_EXPIRED');
    });

    test('a validly signed URL for a missing object is answered OBJECT_NOT_FOUND', async () => {
      await expectRefusal(await fetch(await store.presignGet('route/absent', 60)), 404, 'OBJECT_NOT_FOUND');
    });

    test('methods other than GET and PUT are answered METHOD_NOT_ALLOWED', async () => {
      const response = await fetch(await store.presignGet('route/any', 60), { method: 'DELETE' });
      expect(response.headers.get('allow')).toBe('GET, PUT');
      await expectRefusal(response, 405, 'METHOD_NOT_ALLOWED');
    });

    test('a PUT without Content-Length is refused as LENGTH_REQUIRED', async () => {
      const url = new URL(await store.presignPut('route/chunked', 60));
      const response = await rawRequest(url, { method: 'PUT', headers: { 'Transfer-Encoding': 'chunked' } }, (req) => {
        req.end('some bytes');
      });
      expect(response.status).toBe(411);
      expect(JSON.parse(response.body)).toMatchObject({ error: { code: 'LENGTH_REQUIRED' } });
      expect(await store.stat('route/chunked')).toBeNull();
    });

    test('a PUT whose body stops short of its Content-Length leaves nothing behind', async () => {
      const url = new URL(await store.presignPut('route/short', 60));
      const incoming = () => readdir(join(server.root, '.incoming'));
      const req = request(url, { method: 'PUT', headers: { 'Content-Length': '1000' }, agent: false });
      req.on('error', () => undefined); // the abort below is the point
      req.write('only a few bytes');
      await eventually(async () => (await incoming()).length > 0); // the server is mid-write
      req.destroy();
      await eventually(async () => (await incoming()).length === 0);
      expect(await store.stat('route/short')).toBeNull();
    });

    test('a malformed percent-encoded key is answered BAD_REQUEST', async () => {
      await expectRefusal(await fetch(`${server.baseUrl}/objects/%E0%A4%A?method=GET`), 400, 'BAD_REQUEST');
    });

    test('a part PUT to an unknown upload is answered UPLOAD_NOT_FOUND', async () => {
      const url = await store.presignUploadPart('route/mp', '00000000-0000-4000-8000-000000000000', 1, 60);
      await expectRefusal(await fetch(url, { method: 'PUT', body: 'x' }), 404, 'UPLOAD_NOT_FOUND');
    });

    test('Range requests are answered 206 with the slice, and 416 when past the end', async () => {
      await store.put('route/ranged', '0123456789');
      const url = await store.presignGet('route/ranged', 60);

      const slice = await fetch(url, { headers: { Range: 'bytes=2-5' } });
      expect(slice.status).toBe(206);
      expect(slice.headers.get('content-range')).toBe('bytes 2-5/10');
      expect(slice.headers.get('content-length')).toBe('4');
      expect(slice.headers.get('content-type')).toBe('application/octet-stream');
      expect(await slice.text()).toBe('2345');

      const suffix = await fetch(url, { headers: { Range: 'bytes=-3' } });
      expect([suffix.status, await suffix.text()]).toEqual([206, '789']);

      for (const unsupported of ['bytes=0-1,4-5', 'bytes=5-2', 'lines=1-2']) {
        const ignored = await fetch(url, { headers: { Range: unsupported } });
        expect([ignored.status, await ignored.text()]).toEqual([200, '0123456789']);
      }

      const beyond = await fetch(url, { headers: { Range: 'bytes=10-' } });
      expect(beyond.headers.get('content-range')).toBe('bytes */10');
      await expectRefusal(beyond, 416, 'RANGE_NOT_SATISFIABLE');
    });

    test('paths outside /objects/ are left to other routes', async () => {
      const response = await fetch(`${server.baseUrl}/graphql`);
      expect(response.status).toBe(404);
      expect(await response.text()).toBe('');
    });

    test('a successful PUT answers with the stored size and SHA-256', async () => {
      const response = await fetch(await store.presignPut('route/answered', 60), { method: 'PUT', body: 'abc' });
      const sha256 = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
      expect(response.headers.get('etag')).toBe(`"${sha256}"`);
      expect(await response.json()).toEqual({ key: 'route/answered', size: 3, sha256 });
    });
  });
});

async function expectRefusal(response: Response, status: number, code: string): Promise<void> {
  const body: unknown = await response.json();
  expect({ status: response.status, body }).toEqual({
    status,
    body: { error: { code, message: expect.any(String) } },
  });
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

/** Polls until `condition` holds, or fails the test after a deadline a busy machine still meets. */
async function waitUntil(condition: () => Promise<boolean>, deadlineMs = 30_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function readAllText(stream: AsyncIterable<Buffer>): Promise<string> {
  return Buffer.concat(await collect(stream)).toString('utf8');
}

/** For requests fetch cannot make: chunked bodies without a length, bodies cut off midway. */
function rawRequest(
  url: URL,
  options: { method: string; headers: Record<string, string> },
  send: (req: ReturnType<typeof request>) => void,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ...options, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    send(req);
  });
}

async function eventually(condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
