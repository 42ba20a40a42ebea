import test from 'ava';
import type { mesos } from '../../proto/types.generated.ts';
import { validateCheck, validateEnvironment, validateHealthCheck } from './validation.ts';

const healthCases: readonly [string, mesos.v1.HealthCheck, string | undefined][] = [
  ['no type', {}, "HealthCheck must specify 'type'"],
  ['UNKNOWN type', { type: 'UNKNOWN' }, "'UNKNOWN' is not a valid health check type"],
  ['COMMAND without command', { type: 'COMMAND' }, "Expecting 'command' to be set for COMMAND health check"],
  ['COMMAND without value (shell by default)', { type: 'COMMAND', command: {} }, "Command health check must contain 'shell command'"],
  ['COMMAND without value, exec', { type: 'COMMAND', command: { shell: false } }, "Command health check must contain 'executable path'"],
  [
    'COMMAND with a VALUE variable without value',
    { type: 'COMMAND', command: { value: 'true', environment: { variables: [{ name: 'A' }] } } },
    "Health check's `CommandInfo` is invalid: Environment variable 'A' of type 'VALUE' must have a value set",
  ],
  ['COMMAND valid', { type: 'COMMAND', command: { value: 'exit 0' } }, undefined],
  ['HTTP without http', { type: 'HTTP' }, "Expecting 'http' to be set for HTTP health check"],
  ['HTTP bad scheme', { type: 'HTTP', http: { port: 80, scheme: 'ftp' } }, "Unsupported HTTP health check scheme: 'ftp'"],
  ['HTTP relative path', { type: 'HTTP', http: { port: 80, path: 'health' } }, "The path 'health' of HTTP health check must start with '/'"],
  ['HTTP port 0', { type: 'HTTP', http: { port: 0 } }, "Expecting 'http.port' to be a port in [1, 65535], got 0"],
  ['HTTP port 65536', { type: 'HTTP', http: { port: 65536 } }, "Expecting 'http.port' to be a port in [1, 65535], got 65536"],
  ['HTTP valid https', { type: 'HTTP', http: { port: 443, scheme: 'https', path: '/ok' } }, undefined],
  ['TCP without tcp', { type: 'TCP' }, "Expecting 'tcp' to be set for TCP health check"],
  ['TCP port missing', { type: 'TCP', tcp: {} as mesos.v1.HealthCheck.TCPCheckInfo }, "Expecting 'tcp.port' to be a port in [1, 65535], got undefined"],
  ['TCP valid', { type: 'TCP', tcp: { port: 8080 } }, undefined],
  ['negative delay', { type: 'TCP', tcp: { port: 1 }, delay_seconds: -1 }, "Expecting 'delay_seconds' to be non-negative"],
  ['negative grace', { type: 'TCP', tcp: { port: 1 }, grace_period_seconds: -0.5 }, "Expecting 'grace_period_seconds' to be non-negative"],
  ['negative interval', { type: 'TCP', tcp: { port: 1 }, interval_seconds: -3 }, "Expecting 'interval_seconds' to be non-negative"],
  ['negative timeout', { type: 'TCP', tcp: { port: 1 }, timeout_seconds: -20 }, "Expecting 'timeout_seconds' to be non-negative"],
  ['infinite timeout', { type: 'TCP', tcp: { port: 1 }, timeout_seconds: Infinity }, "Expecting 'timeout_seconds' to be finite"],
  ['zero durations are fine', { type: 'TCP', tcp: { port: 1 }, delay_seconds: 0, interval_seconds: 0, timeout_seconds: 0, grace_period_seconds: 0 }, undefined],
];

for (const [name, check, expected] of healthCases) {
  test(`validateHealthCheck: ${name}`, (t) => {
    t.is(validateHealthCheck(check), expected);
  });
}

const checkCases: readonly [string, mesos.v1.CheckInfo, string | undefined][] = [
  ['no type', {}, "CheckInfo must specify 'type'"],
  ['UNKNOWN type', { type: 'UNKNOWN' }, "'UNKNOWN' is not a valid check type"],
  ['COMMAND without command', { type: 'COMMAND' }, "Expecting 'command' to be set for COMMAND check"],
  ['COMMAND without value', { type: 'COMMAND', command: { command: { shell: true } } }, "Command check must contain 'shell command'"],
  ['COMMAND exec without value', { type: 'COMMAND', command: { command: { shell: false } } }, "Command check must contain 'executable path'"],
  [
    'COMMAND with UNKNOWN variable',
    { type: 'COMMAND', command: { command: { value: 'true', environment: { variables: [{ name: 'A', type: 'UNKNOWN', value: 'x' }] } } } },
    "Check's `CommandInfo` is invalid: Environment variable of type 'UNKNOWN' is not allowed",
  ],
  ['COMMAND valid', { type: 'COMMAND', command: { command: { value: 'true' } } }, undefined],
  ['HTTP without http', { type: 'HTTP' }, "Expecting 'http' to be set for HTTP check"],
  ['HTTP relative path', { type: 'HTTP', http: { port: 80, path: 'x' } }, "The path 'x' of HTTP check must start with '/'"],
  ['HTTP port 70000', { type: 'HTTP', http: { port: 70000 } }, "Expecting 'http.port' to be a port in [1, 65535], got 70000"],
  ['HTTP valid', { type: 'HTTP', http: { port: 80, path: '/' } }, undefined],
  ['TCP without tcp', { type: 'TCP' }, "Expecting 'tcp' to be set for TCP check"],
  ['TCP valid', { type: 'TCP', tcp: { port: 22 } }, undefined],
  ['negative delay', { type: 'TCP', tcp: { port: 22 }, delay_seconds: -1 }, "Expecting 'delay_seconds' to be non-negative"],
  ['negative interval', { type: 'TCP', tcp: { port: 22 }, interval_seconds: -1 }, "Expecting 'interval_seconds' to be non-negative"],
  ['negative timeout', { type: 'TCP', tcp: { port: 22 }, timeout_seconds: -1 }, "Expecting 'timeout_seconds' to be non-negative"],
];

for (const [name, check, expected] of checkCases) {
  test(`validateCheck: ${name}`, (t) => {
    t.is(validateCheck(check), expected);
  });
}

const environmentCases: readonly [string, mesos.v1.Environment, string | undefined][] = [
  ['VALUE with a secret', { variables: [{ name: 'A', value: 'x', secret: { type: 'VALUE', value: { data: 'eA==' } } }] }, "Environment variable 'A' of type 'VALUE' must not have a secret set"],
  ['SECRET without secret', { variables: [{ name: 'S', type: 'SECRET' }] }, "Environment variable 'S' of type 'SECRET' must have a secret set"],
  [
    'SECRET with a value',
    { variables: [{ name: 'S', type: 'SECRET', value: 'v', secret: { type: 'VALUE', value: { data: 'eA==' } } }] },
    "Environment variable 'S' of type 'SECRET' must not have a value set",
  ],
  [
    'SECRET of type REFERENCE without reference',
    { variables: [{ name: 'S', type: 'SECRET', secret: { type: 'REFERENCE' } }] },
    "Environment variable 'S' specifies an invalid secret: Secret of type REFERENCE must have the 'reference' field set",
  ],
  [
    'SECRET value with a NUL byte',
    { variables: [{ name: 'S', type: 'SECRET', secret: { type: 'VALUE', value: { data: Buffer.from('a\0b').toString('base64') } } }] },
    "Environment variable 'S' specifies a secret containing null bytes, which is not allowed in the environment",
  ],
  ['valid mix', { variables: [{ name: 'A', value: '1' }, { name: 'S', type: 'SECRET', secret: { type: 'REFERENCE', reference: { name: 'db' } } }] }, undefined],
];

for (const [name, environment, expected] of environmentCases) {
  test(`validateEnvironment: ${name}`, (t) => {
    t.is(validateEnvironment(environment), expected);
  });
}
