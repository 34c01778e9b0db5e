/**
 * The child side of `lambda-sandbox.ts`: a stand-in for the Lambda Node.js runtime that loads
 * one bundle (`index.mjs` of a cdk.out asset) in a fresh process whose environment the parent
 * set, then invokes its `handler` for each event the parent sends over IPC, one at a time, as
 * Lambda does in one execution environment. Plain JavaScript: the bundle runs as deployed,
 * without a TypeScript loader in between.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [bundleDir, functionName] = process.argv.slice(2);

/** The `Context` the runtime passes, with a deadline of `timeoutMs` from now. */
function contextOf(timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  const awsRequestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:123456789012:function:${functionName}`,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `2026/12/01/[$LATEST]${awsRequestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

function errorOf(error) {
  return {
    errorType: error?.name ?? 'Error',
    errorMessage: error?.message ?? String(error),
    stack: error?.stack,
  };
}

let handler;
try {
  ({ handler } = await import(pathToFileURL(join(bundleDir, 'index.mjs')).href));
  if (typeof handler !== 'function') throw new Error(`${bundleDir}/index.mjs exports no handler function`);
  process.send({ type: 'ready' });
} catch (error) {
  // Lambda's Runtime.ImportModuleError / init error: reported, then the environment is gone.
  process.send({ type: 'initError', error: errorOf(error) }, () => process.exit(1));
}

process.on('message', async (message) => {
  if (message.type !== 'invoke') return;
  // Lambda sets the trace header per invocation; not sampled, so nothing is sent to X-Ray.
  process.env._X_AMZN_TRACE_ID = `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replaceAll('-', '').slice(0, 24)};Parent=${randomUUID().replaceAll('-', '').slice(0, 16)};Sampled=0`;
  try {
    const result = await handler(message.event, contextOf(message.timeoutMs));
    process.send({ type: 'result', id: message.id, result: result === undefined ? null : result });
  } catch (error) {
    process.send({ type: 'error', id: message.id, error: errorOf(error) });
  }
});
