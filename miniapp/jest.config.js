/** jest: TypeScript through ts-jest (transpile only: `npm run typecheck` is the type gate). */
module.exports = {
  testEnvironment: 'jsdom', // miniprogram-simulate renders into a DOM
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // test/live/ needs a built server: jest.live.config.js.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/live/'],
  // packed npm output and the miniprogram-ci install are not ours to scan
  modulePathIgnorePatterns: ['<rootDir>/.tools/', '<rootDir>/miniprogram/miniprogram_npm/', '<rootDir>/miniprogram/node_modules/'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }],
    // The real tdesign-miniprogram components (test/simulate.ts) ship ES modules for the
    // mini-program's own compiler; here they are turned into CommonJS.
    '/tdesign-miniprogram/miniprogram_dist/.+\\.js$': [
      'ts-jest',
      { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2020', esModuleInterop: true, isolatedModules: true }, diagnostics: false },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!tdesign-miniprogram/)'],
}
