/**
 * Test support for marathon/http: a Marathon app over a `FakeService` with a fixed clock, and
 * `inject` helpers that parse JSON answers. Used only by tests.
 */
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../common/ports.ts';
import { createMarathonApp, type MarathonAppOptions } from './app.ts';
import type { MarathonConfig } from './config.ts';
import { FakeService } from './test-fixtures.ts';

export const CONFIG: MarathonConfig = {
  version: '1.9.0-maestro',
  hostname: 'localhost',
  httpPort: 8080,
  master: 'http://127.0.0.1:5050',
  frameworkName: 'marathon',
  role: '*',
  failoverTimeoutSeconds: 604800,
  leaderProxy: true,
};

export const NOW_MS = Date.parse('2026-11-22T12:00:00.000Z');
export const fixedClock: Clock = { now: () => NOW_MS };

export function makeApp(service = new FakeService(), over: Partial<MarathonAppOptions> = {}): { app: FastifyInstance; service: FakeService } {
  const app = createMarathonApp({ service, config: CONFIG, clock: fixedClock, ...over });
  return { app, service };
}

export interface Answer {
  readonly status: number;
  readonly json: any;
  readonly text: string;
  readonly headers: Record<string, string | string[] | number | undefined>;
}

export async function call(app: FastifyInstance, method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const res = await app.inject({
    method: method as 'GET',
    url,
    ...(payload !== undefined ? { payload, headers: { 'content-type': 'application/json', ...headers } } : { headers }),
  });
  let json: unknown;
  try { json = JSON.parse(res.body); } catch { json = undefined; }
  return { status: res.statusCode, json, text: res.body, headers: res.headers };
}
