/**
 * The agent endpoint: a `ws` WebSocket server on path `/maestro/agent/v1` of the master's HTTP
 * server (noServer mode, attached to its 'upgrade' event). Protocol:
 *
 * - the agent opens `ws://<master>/maestro/agent/v1`;
 * - every binary frame, both ways, is one protobuf-encoded `maestro.agent.Envelope`
 *   (proto/maestro/agent_protocol.proto) with exactly one message set;
 * - the agent's first message is RegisterAgent or ReregisterAgent; the master answers
 *   AgentRegistered / AgentReregistered or RegistrationRefused (then closes);
 * - the master sends Ping every ping interval, the agent answers Pong with the same sequence.
 *
 * - a master that does not lead answers the upgrade with 307 and `Location:
 *   ws://<leader>/maestro/agent/v1` (the agent follows it), or 503 while no leader is known.
 *
 * A frame that does not decode (or a text frame) is logged and answered with RegistrationRefused,
 * and the connection is closed; it never reaches the core and never crashes the master. A closed
 * connection is reported to the core (`agentDisconnected`).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { codec } from '../proto/codec.ts';
import type { maestro } from '../proto/types.generated.ts';
import type { Logger } from '../common/ports.ts';
import type { AgentConnection } from './ports.ts';
import type { LeaderCheck } from './http/leader-check.ts';

export const AGENT_PATH = '/maestro/agent/v1';

const envelopeCodec = codec<maestro.agent.Envelope>('maestro.agent.Envelope');

/** The part of the master the link talks to. */
export interface AgentLinkTarget {
  agentMessage(connection: AgentConnection, envelope: maestro.agent.Envelope): void;
  agentDisconnected(connection: AgentConnection): void;
}

export interface AgentLink {
  /** Closes every agent connection and stops accepting new ones. */
  close(): Promise<void>;
  readonly connections: number;
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data as ArrayBuffer);
}

export function attachAgentLink(server: Server, target: AgentLinkTarget, logger: Logger, leader?: LeaderCheck): AgentLink {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });
  let nextId = 1;
  const open = new Set<WebSocket>();

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== AGENT_PATH) {
      // Other upgrade listeners (say a UI event socket) may own the path; refuse only when alone.
      if (server.listenerCount('upgrade') === 1) {
        socket.write('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        socket.destroy();
      }
      return;
    }
    const status = leader?.();
    if (status !== undefined) {
      socket.write(status.kind === 'elsewhere'
        ? `HTTP/1.1 307 Temporary Redirect\r\nLocation: ws:${status.base}${AGENT_PATH}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`
        : 'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 17\r\n\r\nNo leader elected');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
  server.on('upgrade', onUpgrade);

  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    open.add(ws);
    let closed = false;
    const remote = req.socket.remoteAddress;
    const connection: AgentConnection = {
      id: nextId++,
      // IPv4 peers of a dual-stack socket show up as ::ffff:a.b.c.d.
      ...(remote === undefined ? {} : { remoteAddress: remote.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '') }),
      send(envelope) {
        if (ws.readyState !== ws.OPEN) return;
        try {
          ws.send(envelopeCodec.encode(envelope), { binary: true });
        } catch (e) {
          logger.error({ connection: connection.id, error: (e as Error).message }, 'failed to encode a message for an agent');
        }
      },
      close(reason) {
        if (closed) return;
        closed = true;
        // WebSocket close reasons are limited to 123 bytes.
        ws.close(1000, Buffer.from(reason).subarray(0, 120).toString());
      },
    };
    logger.debug({ connection: connection.id, remote }, 'agent connection opened');
    ws.on('message', (data: RawData, isBinary: boolean) => {
      let envelope: maestro.agent.Envelope;
      try {
        if (!isBinary) throw new Error('text frames are not part of the agent protocol');
        envelope = envelopeCodec.decode(toBuffer(data));
      } catch (e) {
        logger.warn({ connection: connection.id, error: (e as Error).message }, 'malformed agent message');
        connection.send({ registration_refused: { message: `Malformed agent protocol message: ${(e as Error).message}` } });
        connection.close('malformed message');
        return;
      }
      try {
        target.agentMessage(connection, envelope);
      } catch (e) {
        logger.error({ connection: connection.id, error: (e as Error).stack }, 'agent message handling failed');
      }
    });
    ws.on('error', (e) => logger.warn({ connection: connection.id, error: e.message }, 'agent connection error'));
    ws.on('close', () => {
      closed = true;
      open.delete(ws);
      target.agentDisconnected(connection);
    });
  });

  return {
    get connections() {
      return open.size;
    },
    close() {
      server.off('upgrade', onUpgrade);
      for (const ws of open) ws.terminate();
      return new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
