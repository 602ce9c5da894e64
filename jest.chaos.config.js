// The chaos suite (test/chaos/, `npm run test:chaos`): real server, worker, PostgreSQL and S3 processes,
// killed and restarted on purpose. One file at a time, because the faults and the CPU-load test are
// about timing, and two of them at once on a 2-core machine would only measure each other.
import base from './jest.config.js';

/** @type {import('jest').Config} */
export default {
  ...base,
  roots: ['<rootDir>/test/chaos'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 180_000,
  maxWorkers: 1,
};
