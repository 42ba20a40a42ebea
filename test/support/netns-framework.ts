/**
 * The framework of test/multihost.test.ts, on frameworks/sdk: runs one task on each of `--agents`
 * distinct agents (`--command`, 0.1 cpus and 32 MB each), reconciles its tasks every
 * `--reconcile_ms`, and prints one JSON line per event on stdout, which is all the test reads:
 *
 *   {"event":"subscribed","frameworkId":"..."}
 *   {"event":"launched","taskId":"...","agentId":"...","hostname":"..."}
 *   {"event":"update","taskId":"...","state":"TASK_RUNNING","reason":"...","agentId":"...","source":"..."}
 *
 * With `--partition_aware` it declares the PARTITION_AWARE capability (TASK_UNREACHABLE instead
 * of TASK_LOST for a task on an agent the master cannot reach).
 */
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { createSchedulerDriver } from '../../frameworks/sdk/scheduler-driver.ts';
import { matchOffer } from '../../frameworks/sdk/offer-matching.ts';
import type { Offer, TaskStatus } from '../../frameworks/sdk/scheduler-handler.ts';

const { values: flags } = parseArgs({
  options: {
    master: { type: 'string' },
    name: { type: 'string', default: 'multihost' },
    agents: { type: 'string', default: '2' },
    command: { type: 'string', default: 'sleep 1000' },
    partition_aware: { type: 'boolean', default: false },
    reconcile_ms: { type: 'string', default: '500' },
  },
});
if (flags.master === undefined) throw new Error('--master is required');
const wanted = Number(flags.agents);
const print = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(o)}\n`);

/** agent id → our task there. */
const tasks = new Map<string, string>();

const driver = createSchedulerDriver({
  masters: flags.master.split(','),
  frameworkInfo: {
    user: userInfo().username, name: flags.name, failover_timeout: 300, checkpoint: true,
    capabilities: flags.partition_aware ? [{ type: 'PARTITION_AWARE' }] : [],
  },
  handler: {
    subscribed(frameworkId) {
      print({ event: 'subscribed', frameworkId });
    },
    async offers(offers: Offer[]) {
      for (const offer of offers) {
        const agentId = offer.agent_id.value;
        const match = matchOffer(offer, { scalars: { cpus: 0.1, mem: 32 } });
        if (tasks.has(agentId) || tasks.size >= wanted || !match.ok) {
          await driver.decline([offer.id.value], { refuse_seconds: 1 });
          continue;
        }
        const taskId = `${flags.name}-${tasks.size + 1}`;
        tasks.set(agentId, taskId);
        const r = await driver.accept([offer.id.value], [{ type: 'LAUNCH', launch: { task_infos: [{
          name: taskId, task_id: { value: taskId }, agent_id: offer.agent_id,
          resources: match.toProto(), command: { value: flags.command, shell: true },
        }] } }], { refuse_seconds: 1 });
        if (!r.ok) throw new Error(`ACCEPT failed: ${r.message}`);
        print({ event: 'launched', taskId, agentId, hostname: offer.hostname });
      }
      if (tasks.size >= wanted) await driver.setDemand(false);
    },
    rescind() {},
    update(status: TaskStatus) {
      print({ event: 'update', taskId: status.task_id.value, state: status.state, reason: status.reason ?? null,
        agentId: status.agent_id?.value ?? null, source: status.source ?? null });
    },
    error(message) {
      print({ event: 'error', message });
      process.exit(1);
    },
  },
});

driver.startReconciliation({
  intervalMs: Number(flags.reconcile_ms),
  tasks: () => [...tasks].map(([agentId, taskId]) => ({ taskId, agentId })),
});
void driver.setDemand(true);
driver.start();
process.once('SIGTERM', () => { driver.stop(); process.exit(0); });
