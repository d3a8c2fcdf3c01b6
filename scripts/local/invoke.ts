/**
 * `npm run invoke -- <domain> <event.json>` — one local invocation of a function's handler, like
 * `sam local invoke`: the file holds a Lambda Kafka event, or one BusinessEvent (or a list of
 * them), which is wrapped into a Kafka event as the event source mapping would deliver it. Prints
 * the handler's response; the handler's own logs go to stderr.
 *
 * It needs only what one invocation uses: the database (DB_HOST, DB_USER, DB_PASSWORD, DB_NAME,
 * DB_PORT: the function's own credentials, the schema in place), and the AWS API (AWS_ENDPOINT_URL
 * for the emulator) only when DB_SECRET_ID names the secret the function reads its credentials
 * from. No Kafka. With neither in the environment it finds or starts the local services as
 * `npm run local` does, deploys the schema and runs the function as the restricted app user.
 */
import { readFileSync } from 'node:fs';
import { domainTopic } from '../../infra/config/event-sources.ts';
import {
  buildKafkaEvent,
  createLambdaContext,
  newLogStreamName,
  toEventRecord,
} from '../../local-esm/index.ts';
import { DOMAIN_NAMES, domain as domainModule } from '../../shared/domains/registry.ts';
import type { KafkaEvent } from '../../shared/pipeline/lambda-event.ts';
import { createHandler } from '../../shared/runtime/create-handler.ts';
import {
  databaseFromEnv,
  endpointsToEnv,
  findServices,
  probeAwsApi,
  probeDatabase,
  provideAwsEnvironment,
} from '../services/find-services.ts';
import { deployLocalDatabase } from './database.ts';

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
            topic: domainTopic(domain),
            partition: 0,
            offset: BigInt(offset),
            timestamp: BigInt(Date.now()),
            value: Buffer.from(JSON.stringify(value)),
            headerEntries: [],
          }),
        ),
      );

const fail = (message: string): never => {
  console.error(message);
  process.exit(1);
};

// As Lambda sets it for on-demand functions: Powertools' Logger marks the invocation `cold_start: true`.
process.env.AWS_LAMBDA_INITIALIZATION_TYPE ??= 'on-demand';
let functionEnv: NodeJS.ProcessEnv = process.env;
let region = process.env.AWS_REGION ?? 'us-east-1';
let stop = async () => {};
const direct = databaseFromEnv(process.env);
if (process.env.DB_SECRET_ID) {
  // The function reads its credentials through Secrets Manager: the AWS API is needed, Kafka is not.
  const aws = {
    endpoint: process.env.AWS_ENDPOINT_URL ?? `https://secretsmanager.${region}.amazonaws.com`,
    region,
    accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'test',
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
  };
  const problem = await probeAwsApi(aws);
  if (problem) fail(`DB_SECRET_ID is set, but the AWS API does not answer: ${problem}`);
  process.env.AWS_ACCESS_KEY_ID ??= aws.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY ??= aws.secretAccessKey;
  process.env.AWS_REGION ??= region;
} else if (direct) {
  // DB_* given: the function's own credentials, as it would have them; the schema is expected in place.
  const problem = await probeDatabase(direct);
  if (problem) fail(`The database does not answer: ${problem}`);
} else {
  const services = await findServices();
  provideAwsEnvironment(services.endpoints);
  region = services.endpoints.aws.region;
  stop = () => services.stop();
  // The local services: users, migrations and grants as AWS deploys them (with the services'
  // administrator); the handler runs as the restricted app user.
  const local = await deployLocalDatabase(services.endpoints.db);
  await local.admin.end();
  functionEnv = {
    ...process.env,
    ...endpointsToEnv(services.endpoints),
    DB_USER: local.app.user,
    DB_PASSWORD: local.app.password,
  };
}

const handler = createHandler(domainModule(domain), {
  env: functionEnv,
  writeLog: (line) => process.stderr.write(`${line}\n`),
});
const identity = {
  functionName: `lambda-realtime-local-${domain}`,
  region,
  accountId: '000000000000',
  memoryLimitInMB: 1024,
  timeoutSeconds: 60,
};
const response = await handler(event, createLambdaContext(identity, newLogStreamName()));
console.log(JSON.stringify(response, null, 2));
await stop();
process.exit(0);
