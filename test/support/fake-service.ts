import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake service received. */
export interface ReceivedCall {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  body: unknown;
}

export interface FakeReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Wait before responding; the effect is applied before the wait, as a slow server would. */
  delayMs?: number;
  /** Destroy the connection without responding. */
  hangUp?: boolean;
}

export type FakeHandler = (call: ReceivedCall, fake: FakeService) => FakeReply | Promise<FakeReply>;

/**
 * An HTTP server on 127.0.0.1 that plays ProductSvc, PaymentSvc or UserSvc in
 * tests. `handler` decides each response and can be swapped between steps to
 * make the service misbehave on cue. `effects` counts side effects by
 * idempotency key, as a real service that honours the key would apply them.
 */
export class FakeService {
  readonly calls: ReceivedCall[] = [];
  /** Effects applied, by idempotency key; a repeated key applies nothing new. */
  readonly effects = new Map<string, unknown>();
  handler: FakeHandler = () => ({ status: 404, body: { reason: 'no handler' } });
  private server!: http.Server;
  private readonly sockets = new Set<import('node:net').Socket>();
  private readonly delays = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  url = '';

  static async start(handler?: FakeHandler): Promise<FakeService> {
    const fake = new FakeService();
    if (handler) fake.handler = handler;
    await fake.listen();
    return fake;
  }

  /** Applies `effect` once per idempotency key and returns the first result for every repeat. */
  applyOnce<T>(key: string | undefined, effect: () => T): T {
    if (!key) throw new Error('the fake service expects an Idempotency-Key header');
    if (!this.effects.has(key)) this.effects.set(key, effect());
    return this.effects.get(key) as T;
  }

  callsTo(path: string): ReceivedCall[] {
    return this.calls.filter((call) => call.path === path);
  }

  async close(): Promise<void> {
    for (const delay of this.delays) {
      clearTimeout(delay.timer);
      delay.resolve();
    }
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private listen(): Promise<void> {
    this.server = http.createServer((request, response) => void this.serve(request, response));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    return new Promise((resolve) => {
      this.server.listen(0, '127.0.0.1', () => {
        const { port } = this.server.address() as AddressInfo;
        this.url = `http://127.0.0.1:${port}`;
        resolve();
      });
    });
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.delays.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.delays.add(entry);
    });
  }

  private async serve(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const call: ReceivedCall = {
      method: request.method ?? 'GET',
      path: new URL(request.url ?? '/', 'http://fake').pathname,
      idempotencyKey: request.headers['idempotency-key'] as string | undefined,
      body: text ? JSON.parse(text) : undefined,
    };
    this.calls.push(call);

    const reply = await this.handler(call, this);
    if (reply.delayMs) await this.delay(reply.delayMs);
    if (reply.hangUp) {
      request.socket.destroy();
      return;
    }
    if (response.destroyed) return;
    response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    response.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
  }
}
