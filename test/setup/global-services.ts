/**
 * Vitest global setup for integration tests: finds or starts the real services once per test run
 * (scripts/services/find-services.ts) and hands their endpoints to every test file via `inject`.
 */
import type { TestProject } from 'vitest/node';
import { findServices, type ServiceEndpoints } from '../../scripts/services/find-services.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    services: ServiceEndpoints;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const found = await findServices();
  console.log(
    `[services] via ${found.endpoints.source}: mysql ${found.endpoints.db.host}:${found.endpoints.db.port}, ` +
      `kafka ${found.endpoints.kafkaBrokers.join(',')}, aws ${found.endpoints.aws.endpoint}, ` +
      `schema registry ${found.endpoints.schemaRegistryUrl}`,
  );
  project.provide('services', found.endpoints);
  return () => found.stop();
}
