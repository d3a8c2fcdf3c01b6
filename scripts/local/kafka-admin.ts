/** Topic set-up and the producer the local tools share. */
import { Admin, Producer, stringSerializers } from '@platformatic/kafka';

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
