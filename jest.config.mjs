// Jest runs in ESM mode (node --experimental-vm-modules): NestJS 12 packages are ESM-only.
// TypeScript is compiled by @swc/jest with legacy decorators and decorator metadata, as tsc does.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2023',
      keepClassNames: true,
    },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];

const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: {
    '^@tokenfence/contract$': '<rootDir>/libs/contract/src/index.ts',
    '^@tokenfence/revocation-guard$': '<rootDir>/libs/revocation-guard/src/index.ts',
    '^@tokenfence/service-kit$': '<rootDir>/libs/service-kit/src/index.ts',
    '^@tokenfence/revocation-guard/terminus$': '<rootDir>/libs/revocation-guard/src/terminus.ts',
    '^@tokenfence/revocation-guard/swagger$': '<rootDir>/libs/revocation-guard/src/swagger.ts',
    '^@tokenfence/revocation-guard/testing$': '<rootDir>/libs/revocation-guard/src/testing.ts',
    '^@tokenfence/revocation-guard/(node|express|fastify)$':
      '<rootDir>/libs/revocation-guard/src/$1.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testEnvironment: 'node',
};

export default {
  testTimeout: 120_000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: [
        '<rootDir>/libs/**/src/**/*.spec.ts',
        '<rootDir>/apps/**/src/**/*.spec.ts',
        '<rootDir>/test/deployment/*.spec.ts',
      ],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      // test/idp needs a Keycloak: a project of its own, run in a phase of its own.
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/idp/'],
      globalSetup: '<rootDir>/test/support/global-setup.mjs',
      globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
    },
    {
      // Against a real Keycloak (tools/keycloak), started once for the project after the Kafka
      // broker; its URL reaches the suites as KEYCLOAK_URL.
      ...common,
      displayName: 'idp',
      testMatch: ['<rootDir>/test/idp/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/idp-global-setup.mjs',
      globalTeardown: '<rootDir>/test/support/idp-global-teardown.mjs',
    },
  ],
};
