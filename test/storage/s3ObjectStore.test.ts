import { S3Client } from '../../src/storage/objects/s3Client.js';
import { S3ObjectStore } from '../../src/storage/objects/S3ObjectStore.js';
import { presignV4 } from '../../src/storage/objects/s3Presign.js';
import { startS3rver } from '../support/s3rver.js';
import { describeObjectStoreContract } from './objectStore.contract.js';

const MIB = 1024 * 1024;

describeObjectStoreContract('S3 (s3rver)', async () => {
  const server = await startS3rver();
  // The smallest part S3 allows, so the contract's multi-part bodies really are split into parts.
  const store = new S3ObjectStore({ ...server, useSSL: false, partSize: 5 * MIB });
  return {
    store,
    close: () => server.close(),
    testServerLacks: { signatureVerification: true, abortMultipartUpload: true, keyOrderListing: true, multipartBookkeeping: true },
  };
});

describe('S3ObjectStore', () => {
  const options = {
    endPoint: '10.0.0.1',
    port: 9000,
    useSSL: false,
    accessKey: 'access',
    secretKey: 'secret',
    bucket: 'results',
  };

  test('signs presigned URLs for the public endpoint when one is configured', async () => {
    const store = new S3ObjectStore({ ...options, publicEndpoint: 'https://s3.example.org' });
    const url = new URL(await store.presignGet('scope/tasks/t/dag.json', 60));
    expect(url.origin).toBe('https://s3.example.org');
    expect(url.pathname).toBe('/results/scope/tasks/t/dag.json');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
  });

  test('signs part URLs for one part of one upload', async () => {
    const store = new S3ObjectStore(options);
    const url = new URL(await store.presignUploadPart('a/b.bin', 'upload-1', 3, 60));
    expect(url.origin).toBe('http://10.0.0.1:9000');
    expect(url.searchParams.get('uploadId')).toBe('upload-1');
    expect(url.searchParams.get('partNumber')).toBe('3');
  });

  test('upload URLs signed for a size carry Content-Length among their signed headers; without one, only Host', async () => {
    const store = new S3ObjectStore(options);
    const sized = new URL(await store.presignUploadPart('a/b.bin', 'upload-1', 3, 60, { size: 5 * MIB }));
    expect(sized.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;host');
    expect([sized.searchParams.get('partNumber'), sized.searchParams.get('uploadId')]).toEqual(['3', 'upload-1']);
    expect(new URL(await store.presignPut('a/b.bin', 60, { size: 3 })).searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;host');
    expect(new URL(await store.presignPut('a/b.bin', 60)).searchParams.get('X-Amz-SignedHeaders')).toBe('host');
  });

  test('refuses a part size S3 would refuse and presign lifetimes it would misread', async () => {
    expect(() => new S3ObjectStore({ ...options, partSize: 4 * MIB })).toThrow(/partSize/);
    const store = new S3ObjectStore(options);
    // minio would turn 0 into its seven-day maximum.
    await expect(store.presignGet('a', 0)).rejects.toThrow(RangeError);
    await expect(store.presignPut('a', 8 * 24 * 3600)).rejects.toThrow(RangeError);
  });

  test('refuses the same unsafe keys as the local backend, so keys stay portable', async () => {
    const store = new S3ObjectStore(options);
    await expect(store.presignPut('../escape', 60)).rejects.toThrow(/invalid object key/);
    await expect(store.stat('a//b')).rejects.toThrow(/invalid object key/);
  });
});

describe('SigV4 query signing (s3Presign)', () => {
  test('reproduces the presigned URL of the AWS documentation example', () => {
    // https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
    const url = presignV4({
      method: 'GET',
      protocol: 'https:',
      host: 'examplebucket.s3.amazonaws.com',
      path: '/test.txt',
      accessKey: 'AKIAIOSFODNN7EXAMPLE',
      secretKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      region: 'us-east-1',
      date: new Date('2013-05-24T00:00:00Z'),
      expiresInSeconds: 86_400,
    });
    expect(url).toBe(
      'https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256' +
        '&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z' +
        '&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
    );
  });

  test('signs a part URL exactly as minio does when no size is bound', async () => {
    const credentials = { accessKey: 'access', secretKey: 'secret/with+odd=chars', region: 'eu-west-3' };
    const client = new S3Client({ endPoint: 'minio.internal', port: 9000, useSSL: false, ...credentials });
    const date = new Date('2026-03-01T12:34:56Z');
    const key = 'acme-c1-p1/tasks/t/files/u/0b6a/a b+c(1)!.bin';
    const theirs = new URL(await client.presignedUrl('PUT', 'results', key, 600, { partNumber: '7', uploadId: 'x/y=z' }, date));
    const ours = new URL(
      presignV4({
        method: 'PUT',
        ...client.requestTarget('PUT', 'results', key, credentials.region),
        query: { partNumber: '7', uploadId: 'x/y=z' },
        accessKey: credentials.accessKey,
        secretKey: credentials.secretKey,
        region: credentials.region,
        date,
        expiresInSeconds: 600,
      }),
    );
    expect(ours.origin + ours.pathname).toBe(theirs.origin + theirs.pathname);
    expect(Object.fromEntries(ours.searchParams)).toEqual(Object.fromEntries(theirs.searchParams));
  });
});
