import test from 'ava';
import { taskEnvironment } from './task-environment.ts';

const input = {
  agentId: 'S1', frameworkId: 'F1', executorId: 'web-1', taskId: 'web-1', containerId: 'c-1',
  sandbox: '/w/slaves/S1/frameworks/F1/executors/web-1/runs/c-1', agentEndpoint: '10.0.0.1:5051',
  checkpoint: true, shutdownGracePeriodSeconds: 5, path: '/usr/bin:/bin',
};

test('the Mesos variables of a command task', (t) => {
  t.deepEqual(taskEnvironment(input), {
    PATH: '/usr/bin:/bin',
    MESOS_FRAMEWORK_ID: 'F1',
    MESOS_EXECUTOR_ID: 'web-1',
    MESOS_TASK_ID: 'web-1',
    MESOS_SLAVE_ID: 'S1',
    MESOS_AGENT_ID: 'S1',
    MESOS_SLAVE_PID: 'slave(1)@10.0.0.1:5051',
    MESOS_AGENT_ENDPOINT: '10.0.0.1:5051',
    MESOS_DIRECTORY: input.sandbox,
    MESOS_SANDBOX: input.sandbox,
    MESOS_CHECKPOINT: '1',
    MESOS_HTTP_COMMAND_EXECUTOR: '0',
    MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD: '5secs',
    MESOS_CONTAINER_NAME: 'mesos-c-1',
  });
});

test('CommandInfo.environment VALUE variables win over the agent\'s (PATH included); SECRET variables are left out', (t) => {
  const env = taskEnvironment({
    ...input,
    command: { environment: { variables: [
      { name: 'PORT0', value: '31000' },
      { name: 'PATH', type: 'VALUE', value: '/opt/bin' },
      { name: 'EMPTY' },
      { name: 'TOKEN', type: 'SECRET', secret: { type: 'VALUE', value: { data: 'eA==' } } },
    ] } },
  });
  t.is(env.PORT0, '31000');
  t.is(env.PATH, '/opt/bin');
  t.is(env.EMPTY, '');
  t.false('TOKEN' in env);
});
