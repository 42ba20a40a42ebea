/**
 * Validation of a task's HealthCheck and CheckInfo, with Mesos 1.x rules and messages (common
 * validation: validateHealthCheck, validateCheckInfo, validateCommandInfo): the type is set and
 * known, its matching sub-message is present, a command has a value and a valid environment, an
 * HTTP path starts with '/', a health check's scheme is http or https, durations are not
 * negative. Two rules are maestro's own, each message naming the field: ports must lie in
 * [1, 65535] (Mesos leaves a bad port to fail at probe time) and durations must be finite.
 *
 * Returns the first problem as a message, or undefined for a valid check; never throws.
 */
import type { mesos } from '../../proto/types.generated.ts';

type Environment = mesos.v1.Environment;

function validateSecret(secret: mesos.v1.Secret): string | undefined {
  switch (secret.type ?? 'UNKNOWN') {
    case 'REFERENCE':
      if (secret.reference === undefined) return "Secret of type REFERENCE must have the 'reference' field set";
      if (secret.value !== undefined) return `Secret '${secret.reference.name}' of type REFERENCE must not have the 'value' field set`;
      return undefined;
    case 'VALUE':
      if (secret.value === undefined) return "Secret of type VALUE must have the 'value' field set";
      if (secret.reference !== undefined) return "Secret of type VALUE must not have the 'reference' field set";
      return undefined;
    default:
      return undefined;
  }
}

/** Mesos validateEnvironment (the only rule of validateCommandInfo). A variable's type defaults to VALUE. */
export function validateEnvironment(environment: Environment | undefined): string | undefined {
  for (const variable of environment?.variables ?? []) {
    const name = variable.name;
    switch (variable.type ?? 'VALUE') {
      case 'SECRET': {
        if (variable.secret === undefined) return `Environment variable '${name}' of type 'SECRET' must have a secret set`;
        if (variable.value !== undefined) return `Environment variable '${name}' of type 'SECRET' must not have a value set`;
        const error = validateSecret(variable.secret);
        if (error !== undefined) return `Environment variable '${name}' specifies an invalid secret: ${error}`;
        if (variable.secret.value !== undefined && Buffer.from(variable.secret.value.data, 'base64').includes(0)) {
          return `Environment variable '${name}' specifies a secret containing null bytes, which is not allowed in the environment`;
        }
        break;
      }
      case 'VALUE':
        if (variable.value === undefined) return `Environment variable '${name}' of type 'VALUE' must have a value set`;
        if (variable.secret !== undefined) return `Environment variable '${name}' of type 'VALUE' must not have a secret set`;
        break;
      default:
        return "Environment variable of type 'UNKNOWN' is not allowed";
    }
  }
  return undefined;
}

/** A CommandInfo's `shell` defaults to true (mesos.proto). */
const commandKind = (command: mesos.v1.CommandInfo) => ((command.shell ?? true) ? "'shell command'" : "'executable path'");

function validatePort(field: string, port: number | undefined): string | undefined {
  if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
    return `Expecting '${field}' to be a port in [1, 65535], got ${String(port)}`;
  }
  return undefined;
}

function validateDurations(check: Readonly<Record<string, unknown>>, fields: readonly string[]): string | undefined {
  for (const field of fields) {
    const value = check[field];
    if (typeof value !== 'number') continue;
    if (value < 0) return `Expecting '${field}' to be non-negative`;
    if (!Number.isFinite(value)) return `Expecting '${field}' to be finite`;
  }
  return undefined;
}

export function validateHealthCheck(check: mesos.v1.HealthCheck): string | undefined {
  if (check.type === undefined) return "HealthCheck must specify 'type'";
  switch (check.type) {
    case 'COMMAND': {
      if (check.command === undefined) return "Expecting 'command' to be set for COMMAND health check";
      if (check.command.value === undefined) return `Command health check must contain ${commandKind(check.command)}`;
      const error = validateEnvironment(check.command.environment);
      if (error !== undefined) return `Health check's \`CommandInfo\` is invalid: ${error}`;
      break;
    }
    case 'HTTP': {
      const http = check.http;
      if (http === undefined) return "Expecting 'http' to be set for HTTP health check";
      if (http.scheme !== undefined && http.scheme !== 'http' && http.scheme !== 'https') {
        return `Unsupported HTTP health check scheme: '${http.scheme}'`;
      }
      if (http.path !== undefined && !http.path.startsWith('/')) {
        return `The path '${http.path}' of HTTP health check must start with '/'`;
      }
      const error = validatePort('http.port', http.port);
      if (error !== undefined) return error;
      break;
    }
    case 'TCP': {
      if (check.tcp === undefined) return "Expecting 'tcp' to be set for TCP health check";
      const error = validatePort('tcp.port', check.tcp.port);
      if (error !== undefined) return error;
      break;
    }
    default:
      return `'${String(check.type)}' is not a valid health check type`;
  }
  return validateDurations(check as Readonly<Record<string, unknown>>, [
    'delay_seconds',
    'grace_period_seconds',
    'interval_seconds',
    'timeout_seconds',
  ]);
}

export function validateCheck(check: mesos.v1.CheckInfo): string | undefined {
  if (check.type === undefined) return "CheckInfo must specify 'type'";
  switch (check.type) {
    case 'COMMAND': {
      if (check.command === undefined) return "Expecting 'command' to be set for COMMAND check";
      const command = check.command.command ?? {};
      if (command.value === undefined) return `Command check must contain ${commandKind(command)}`;
      const error = validateEnvironment(command.environment);
      if (error !== undefined) return `Check's \`CommandInfo\` is invalid: ${error}`;
      break;
    }
    case 'HTTP': {
      const http = check.http;
      if (http === undefined) return "Expecting 'http' to be set for HTTP check";
      if (http.path !== undefined && !http.path.startsWith('/')) {
        return `The path '${http.path}' of HTTP check must start with '/'`;
      }
      const error = validatePort('http.port', http.port);
      if (error !== undefined) return error;
      break;
    }
    case 'TCP': {
      if (check.tcp === undefined) return "Expecting 'tcp' to be set for TCP check";
      const error = validatePort('tcp.port', check.tcp.port);
      if (error !== undefined) return error;
      break;
    }
    default:
      return `'${String(check.type)}' is not a valid check type`;
  }
  return validateDurations(check as Readonly<Record<string, unknown>>, ['delay_seconds', 'interval_seconds', 'timeout_seconds']);
}
