/**
 * `npm run smoke -- --env <env> [--region <region>]`: proves a freshly deployed stack works as
 * deployed, from a workstation with the deployer's AWS credentials. It prints a table and exits
 * non-zero on any failure:
 *
 *   mapping <domain>   each Kafka event source mapping is Enabled and its last processing result
 *                      is not a problem (Lambda's GetEventSourceMapping)
 *   invoke <domain>    one smoke event, sent to the domain's function as its mapping would send it
 *                      (an `aws:kafka` event), comes back with no record to retry. That proves the
 *                      functions' own path to the database: RDS Proxy and IAM sign-in in prod,
 *                      verified TLS, and the sink's affected-row proof, which refuses to write
 *                      (the record is reported) when the path counts affected rows unlike MySQL
 *   then, from the schema-migration function's `verify` action inside the VPC (db/verify.ts): the
 *   server's version and settings, the app user's verified TLS, the users' grants, schema drift,
 *   and the smoke event in its tables — removed again.
 *
 * What it cannot prove: a record produced into MSK reaching the function (the brokers are inside
 * the VPC, with no path from a workstation); the mapping's state and last result stand in for it.
 * infra/README.md, "Smoke test after a deployment".
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { SmokeRow, VerifyRequest } from '../db/migrate-handler.ts';
import { type Check, formatChecks } from '../db/verify.ts';
import { DOMAIN_NAMES, domain } from '../shared/domains/registry.ts';
import type { KafkaBatchResponse } from '../shared/pipeline/lambda-event.ts';

/** What the smoke test needs of AWS; the real one is awsPort() below, tests bring their own. */
export interface SmokePort {
  /** The stack's outputs by key. */
  outputs(): Promise<Record<string, string>>;
  /** Invokes a function synchronously; its answer, or throws with the function's error. */
  invoke(functionName: string, payload: unknown): Promise<unknown>;
  /** An event source mapping's State and LastProcessingResult. */
  mapping(uuid: string): Promise<{ state: string; lastProcessingResult: string }>;
}

/** The one smoke event: a `user_login` of a user no business system has. */
export function smokeEvent(now = Date.now(), id = randomUUID()) {
  return {
    domain: 'user',
    type: 'user_login',
    timestamp: now,
    eventId: `lrt-smoke-${id}`,
    payload: { userId: `lrt-smoke-${id}`, loginTime: now, device: 'smoke', ip: '127.0.0.1' },
    version: '1.0',
    source: 'lrt-smoke',
  };
}

/** The rows the smoke event writes, by table and key: found, then deleted by `verify`. */
export function smokeRows(event: ReturnType<typeof smokeEvent>): SmokeRow[] {
  const processor = domain(event.domain).processor(event.type)!;
  const write = processor.toWrite(
    event as never,
    { get: () => null },
    { topic: 'smoke', partition: 0, offset: 0, timestamp: 0, timestampType: 'CREATE_TIME' as const },
  );
  return [write.event, ...write.state].map(({ table, row }) => ({
    table: table.name,
    key: Object.fromEntries(table.key.map((column) => [column, String(row[column])])),
  }));
}

/** The Lambda Kafka event an MSK mapping would deliver for one record. */
function kafkaEventOf(value: object) {
  return {
    eventSource: 'aws:kafka',
    bootstrapServers: 'smoke',
    records: {
      'lrt-smoke-0': [
        {
          topic: 'lrt-smoke',
          partition: 0,
          offset: 0,
          timestamp: Date.now(),
          timestampType: 'CREATE_TIME',
          value: Buffer.from(JSON.stringify(value)).toString('base64'),
          headers: [],
        },
      ],
    },
  };
}

/** Runs every check; each failure is a row, never an exception. */
export async function smoke(port: SmokePort): Promise<Check[]> {
  const checks: Check[] = [];
  const outputs = await port.outputs();
  const need = (key: string) => {
    const value = outputs[key];
    if (!value) throw new Error(`the stack has no output ${key}: is it deployed from this version?`);
    return value;
  };
  for (const name of DOMAIN_NAMES) {
    try {
      const { state, lastProcessingResult } = await port.mapping(need(`${name}EventSourceMappingId`));
      // "PROBLEM: …" results name a permission, network or broker failure (Lambda's API reference,
      // EventSourceMappingConfiguration.LastProcessingResult).
      const ok = state === 'Enabled' && !/^PROBLEM/i.test(lastProcessingResult);
      checks.push({ check: `mapping ${name}`, ok, detail: `${state}; last result: ${lastProcessingResult}` });
    } catch (error) {
      checks.push({ check: `mapping ${name}`, ok: false, detail: (error as Error).message });
    }
  }
  const event = smokeEvent();
  let invoked = false;
  try {
    const response = (await port.invoke(
      need(`${event.domain}FunctionName`),
      kafkaEventOf(event),
    )) as KafkaBatchResponse;
    invoked = response?.batchItemFailures?.length === 0;
    checks.push({
      check: `invoke ${event.domain}`,
      ok: invoked,
      detail: invoked
        ? `${event.eventId} written: sign-in, TLS and the affected-row proof passed on the function's path`
        : `answered ${JSON.stringify(response)} (its log names why)`,
    });
  } catch (error) {
    checks.push({ check: `invoke ${event.domain}`, ok: false, detail: (error as Error).message });
  }
  try {
    const request: VerifyRequest = { action: 'verify', smokeRows: invoked ? smokeRows(event) : [] };
    const answer = (await port.invoke(need('SchemaMigrationFunctionName'), request)) as { checks: Check[] };
    checks.push(...answer.checks);
  } catch (error) {
    checks.push({ check: 'verify', ok: false, detail: (error as Error).message });
  }
  return checks;
}

/** The real AWS: CloudFormation for the outputs, Lambda for the rest (the deployer's credentials). */
async function awsPort(stack: string, region: string | undefined): Promise<SmokePort> {
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const { LambdaClient, InvokeCommand, GetEventSourceMappingCommand } = await import(
    '@aws-sdk/client-lambda'
  );
  const config = region ? { region } : {};
  const cfn = new CloudFormationClient(config);
  const lambda = new LambdaClient(config);
  return {
    async outputs() {
      const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stack }));
      return Object.fromEntries((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey!, o.OutputValue!]));
    },
    async invoke(functionName, payload) {
      const result = await lambda.send(
        new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(payload)) }),
      );
      const text = Buffer.from(result.Payload ?? []).toString('utf8');
      if (result.FunctionError) throw new Error(`${functionName} failed: ${text}`);
      return JSON.parse(text || 'null');
    },
    async mapping(uuid) {
      const m = await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
      return { state: m.State ?? '(none)', lastProcessingResult: m.LastProcessingResult ?? '(none)' };
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { env: { type: 'string' }, region: { type: 'string' } } });
  if (!values.env) {
    console.error('usage: npm run smoke -- --env <dev|test|prod> [--region <region>]');
    process.exit(2);
  }
  const { environmentConfig } = await import('../infra/config/environments.ts');
  const { stackName } = await import('../infra/lib/app.ts');
  const checks = await smoke(await awsPort(stackName(environmentConfig(values.env)), values.region));
  console.log(formatChecks(checks));
  process.exit(checks.every((c) => c.ok) ? 0 : 1);
}
