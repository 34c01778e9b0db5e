/**
 * How every Lambda entry is made, at cold start: its settings from the environment, its
 * ports from the composition root (`wiring.ts`), the Lambda observability, its handler.
 */
import type { Observability } from './handler-stack.js';
import { lambdaObservability } from './observability.js';

export async function lambdaHandler<TSettings, TDeps, THandler>(
  settings: () => Promise<TSettings>,
  createDeps: (settings: TSettings & Observability) => TDeps,
  buildHandler: (deps: TDeps) => THandler,
): Promise<THandler> {
  return buildHandler(createDeps({ ...(await settings()), ...(await lambdaObservability()) }));
}
