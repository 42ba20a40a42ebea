/**
 * marathon/readiness's public face: the runner of readiness checks during deployments, and the
 * result an instance shows before its first answer. See README.md for the semantics.
 */
export { createReadinessRunner, readinessTiming, type ReadinessRunner, type ReadinessRunnerOptions } from './readiness-runner.ts';
export { pendingReadinessResult } from './readiness-state.ts';
