import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Unit and infra tests need nothing running; integration tests get real services from the
    // global setup, started once per run.
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      // Type tests: the compiler must reject what they mark @ts-expect-error (tables, processors).
      {
        test: {
          name: 'types',
          include: [],
          typecheck: { enabled: true, only: true, include: ['test/types/**/*.test-d.ts'] },
        },
      },
      { test: { name: 'infra', include: ['test/infra/**/*.test.ts'], testTimeout: 120_000 } },
      // Flink SQL conformance: the project's SQL against Apache Flink on a local MiniCluster (Java
      // and Maven needed; Flink's jars resolved from Maven Central into .services/flink once).
      {
        test: {
          name: 'conformance',
          include: ['test/conformance/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 900_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/setup/global-services.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
