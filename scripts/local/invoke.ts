/**
 * `npm run invoke -- <domain> <event.json>` — one local invocation of a function's handler, like
 * `sam local invoke`: the file holds a Lambda Kafka event, or one BusinessEvent (or a list of
 * them), which is wrapped into a Kafka event as the event source mapping would deliver it. Prints
 * the handler's response; the handler's own logs go to stderr.
 */
import { readFileSync } from 'node:fs';
import { createConnection } from 'mysql2/promise';
import { migrate } from '../../db/migrate.ts';
import { DEFAULT_TOPIC } from '../../infra/config/event-sources.ts';
import { DOMAIN_NAMES, domain as domainModule } from '../../shared/domains/registry.ts';
import type { KafkaEvent } from '../../shared/pipeline/lambda-event.ts';
import { createHandler } from '../../shared/runtime/create-handler.ts';
import { endpointsToEnv, findServices, provideAwsEnvironment } from '../services/find-services.ts';
import { buildKafkaEvent, toEventRecord } from './kafka-event.ts';
import { createLambdaContext, newLogStreamName } from './lambda-context.ts';

const [domain, file] = process.argv.slice(2);
if (!domain || !(DOMAIN_NAMES as readonly string[]).includes(domain) || !file) {
  console.error(`usage: npm run invoke -- <${DOMAIN_NAMES.join('|')}> <event.json>`);
  process.exit(2);
}

const input = JSON.parse(readFileSync(file, 'utf8')) as unknown;
const event: KafkaEvent =
  typeof input === 'object' && input !== null && 'records' in input
    ? (input as KafkaEvent)
    : buildKafkaEvent(
        { type: 'SelfManagedKafka' },
        '127.0.0.1:9092',
        (Array.isArray(input) ? input : [input]).map((value, offset) =>
          toEventRecord({
            topic: DEFAULT_TOPIC,
            partition: 0,
            offset: BigInt(offset),
            timestamp: BigInt(Date.now()),
            value: Buffer.from(JSON.stringify(value)),
            headerEntries: [],
          }),
        ),
      );

const services = await findServices();
provideAwsEnvironment(services.endpoints);
const conn = await createConnection({ ...services.endpoints.db });
await migrate(conn);
await conn.end();
// As Lambda sets it for on-demand functions: Powertools' Logger marks the invocation `cold_start: true`.
process.env.AWS_LAMBDA_INITIALIZATION_TYPE ??= 'on-demand';
const handler = createHandler(domainModule(domain), {
  env: { ...process.env, ...endpointsToEnv(services.endpoints) },
  writeLog: (line) => process.stderr.write(`${line}\n`),
});
const identity = {
  functionName: `lambda-realtime-local-${domain}`,
  region: services.endpoints.aws.region,
  accountId: '000000000000',
  memoryLimitInMB: 1024,
  timeoutSeconds: 60,
};
const response = await handler(event, createLambdaContext(identity, newLogStreamName()));
console.log(JSON.stringify(response, null, 2));
await services.stop();
process.exit(0);
