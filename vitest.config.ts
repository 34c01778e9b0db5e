import { defineConfig } from 'vitest/config';

/**
 * One project per test folder (style.md "Tests"): `npm test` runs them all, one at a time
 * with `--project <name>`. `integration` and `e2e` share one DynamoDB Local per run
 * (test/support/global-setup.ts); `test/bench` is run on demand, not here.
 */
export default defineConfig({
  test: {
    pool: 'forks',
    projects: [
      {
        extends: true,
        // Property tests run thousands of sequences: the default 5 s is a hang guard too tight for
        // a busy 2-core machine.
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 60_000 },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: { name: 'infra', include: ['test/infra/**/*.test.ts'], testTimeout: 60_000 },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
