/**
 * The live suite (test/live/): the mini-program's API layer and queue against
 * a real `yaojian serve` with PostgreSQL and Redis. Needs YAOJIAN_BIN (a built
 * server); `npm run test:live`, run by scripts/test.
 */
module.exports = {
  testEnvironment: 'node', // Node's own fetch, FormData and Blob
  testMatch: ['<rootDir>/test/live/**/*.test.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'test/tsconfig.json', diagnostics: false }] },
  modulePathIgnorePatterns: ['<rootDir>/.tools/', '<rootDir>/miniprogram/miniprogram_npm/', '<rootDir>/miniprogram/node_modules/'],
  testTimeout: 30000,
  // Each test starts a server of its own; two cores are enough for one file at a time.
  maxWorkers: 1,
}
