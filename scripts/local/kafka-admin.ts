/** Topic set-up, the producer and the routing of records to topics the local tools share. */
import { Admin, type MessageToProduce, Producer, stringSerializers } from '@platformatic/kafka';
import {
  type Domain,
  type EventSourceSettings,
  sourceTopics,
  topicOf,
} from '../../infra/config/event-sources.ts';
import { EVENT_DOMAIN_HEADER } from '../../shared/events/business-event.ts';

/** Creates the topics that do not exist yet. */
export async function ensureTopics(
  brokers: string[],
  topics: Array<{ name: string; partitions: number }>,
): Promise<void> {
  const admin = new Admin({ clientId: 'lrt-local-admin', bootstrapBrokers: brokers });
  try {
    const existing = new Set(await admin.listTopics());
    for (const { name, partitions } of topics) {
      if (!existing.has(name)) await admin.createTopics({ topics: [name], partitions, replicas: 1 });
    }
  } finally {
    await admin.close();
  }
}

/**
 * An idempotent producer: without it, sends to a freshly created topic were occasionally written
 * twice by the client's internal retry (seen in the ESM runner's tests).
 */
export function createProducer(brokers: string[], clientId = 'lrt-local-producer') {
  return new Producer({
    clientId,
    bootstrapBrokers: brokers,
    idempotent: true,
    serializers: {
      ...stringSerializers,
      value: (v?: string | Buffer) => (typeof v === 'string' ? Buffer.from(v) : v),
    },
  });
}

/** Creates every topic the mappings read, and their on-failure topics. */
export async function ensureSourceTopics(
  brokers: string[],
  sources: Record<Domain, EventSourceSettings>,
  partitions = 3,
): Promise<void> {
  const failureTopics = new Set(Object.values(sources).map((s) => s.onFailureTopic));
  await ensureTopics(brokers, [
    ...sourceTopics(sources).map((name) => ({ name, partitions })),
    ...[...failureTopics].map((name) => ({ name, partitions: 1 })),
  ]);
}

/**
 * A record as a business system publishes it: to its domain's topic (the one that domain's
 * mapping reads), keyed by its entity, its domain in the `event-domain` header.
 */
export function routed(
  record: { key: string; value: string | Buffer; domain: string },
  sources: Record<Domain, EventSourceSettings>,
  headers: Record<string, string> = {},
): MessageToProduce<string, string | Buffer, string, string> {
  return {
    topic: topicOf(sources, record.domain as Domain),
    key: record.key,
    value: record.value,
    headers: { [EVENT_DOMAIN_HEADER]: record.domain, ...headers },
  };
}
