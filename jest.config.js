// ESM TypeScript straight from source; type checking is `npm run typecheck`, so ts-jest only transpiles.
/** @type {import('jest').Config} */
export default {
  // jest's node environment, plus: what a test file leaves running is stopped after it, and fails it.
  testEnvironment: '<rootDir>/test/support/leakCheckEnvironment.mjs',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The chaos suite runs on its own: `npm run test:chaos` (jest.chaos.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/chaos/'],
  // The outer deadline of a hung test, not a measure: process tests on a starved 2-core machine take minutes.
  testTimeout: 180_000,
  maxWorkers: 2,
  globalSetup: '<rootDir>/test/support/globalSetup.ts',
};
