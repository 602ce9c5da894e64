import { S3ObjectStore } from '../../src/storage/objects/S3ObjectStore.js';
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
    testServerLacks: { signatureVerification: true, abortMultipartUpload: true, keyOrderListing: true },
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
