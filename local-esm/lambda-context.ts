/** A Lambda `Context` for an in-process invocation, shaped like the Node.js runtime's. */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

export interface LambdaFunctionIdentity {
  functionName: string;
  region: string;
  accountId: string;
  memoryLimitInMB: number;
  timeoutSeconds: number;
}

export function functionArn(identity: Pick<LambdaFunctionIdentity, 'functionName' | 'region' | 'accountId'>) {
  return `arn:aws:lambda:${identity.region}:${identity.accountId}:function:${identity.functionName}`;
}

/** One context per invocation: a fresh request id and a deadline of now + the function timeout. */
export function createLambdaContext(identity: LambdaFunctionIdentity, logStreamName: string): Context {
  const deadline = Date.now() + identity.timeoutSeconds * 1000;
  const unsupported = (name: string) => () => {
    throw new Error(`context.${name}() is not supported by the local runner; return a promise instead`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: identity.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: functionArn(identity),
    memoryLimitInMB: String(identity.memoryLimitInMB),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${identity.functionName}`,
    logStreamName,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}

/** A log stream name per runner ("container"), as Lambda names them: `YYYY/MM/DD/[$LATEST]<hex>`. */
export function newLogStreamName(now = new Date()): string {
  const day = now.toISOString().slice(0, 10).replaceAll('-', '/');
  return `${day}/[$LATEST]${randomBytes(16).toString('hex')}`;
}
