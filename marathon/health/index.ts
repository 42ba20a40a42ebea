/**
 * marathon/health's public face: the runner of Marathon-run health checks (HTTP, HTTPS, TCP) and
 * what the core needs beside it (which checks are Marathon-run, the empty result, the probe port).
 * See README.md for the semantics.
 */
export { createHealthRunner, healthTiming, FIRST_CHECK_AFTER_MS, type HealthRunner, type HealthRunnerOptions, type HealthTarget } from './health-runner.ts';
export { marathonRunChecks, isMarathonRunProtocol, type MarathonRunCheck } from './health-target.ts';
export { INITIAL_HEALTH, toHealthResult, isAlive } from './health-state.ts';
export { realHealthProbes, type HealthProbes } from './health-probes.ts';
