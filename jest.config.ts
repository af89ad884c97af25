import type { Config } from 'jest';

// PGlite loads its WebAssembly build with a dynamic import, which jest allows
// only when Node runs with --experimental-vm-modules (see the npm test scripts).
// Test tiers are told apart by file name: *.unit.test.ts need nothing running,
// *.int.test.ts use the real PostgreSQL, RabbitMQ and Redis on 127.0.0.1,
// *.e2e.test.ts start the whole service.
const transform: Config['transform'] = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
};

const project = (name: string): Config => ({
  displayName: name,
  testEnvironment: 'node',
  transform,
  testMatch: [`<rootDir>/test/**/*.${name}.test.ts`, `<rootDir>/projections/**/*.${name}.test.ts`],
  setupFiles: ['<rootDir>/test/support/setup-env.ts'],
});

const config: Config = {
  projects: [project('unit'), project('int'), project('e2e')],
  testTimeout: 60_000,
};

export default config;
