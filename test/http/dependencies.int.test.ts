import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HealthStatus } from '../../src/infrastructure/health';
import { createOrder, startTestService, type TestService } from './harness';

/** UserSvc and PaymentSvc as small HTTP servers on 127.0.0.1, answering by the id or method they are sent. */
function startFakeServices(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const send = (status: number, body?: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    const url = req.url ?? '';
    if (req.method === 'GET' && url.startsWith('/customers/')) {
      const customerId = decodeURIComponent(url.slice('/customers/'.length));
      if (customerId === 'C-UNKNOWN') return send(404, { error: 'not found' });
      if (customerId === 'C-DOWN') return send(503, { error: 'maintenance' });
      return send(200, { customerId, active: customerId !== 'C-INACTIVE' });
    }
    if (req.method === 'POST' && url === '/payments') {
      let raw = '';
      req.on('data', (chunk) => (raw += chunk));
      req.on('end', () => {
        const body = JSON.parse(raw) as { method: string };
        if (body.method === 'declined-card') return send(402, { reason: 'insufficient funds' });
        if (body.method === 'broken-gateway') return send(503, { error: 'down' });
        return send(202, {});
      });
      return undefined;
    }
    return send(404);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

let fake: http.Server;
let test: TestService;
let dependencyUp = true;

beforeAll(async () => {
  fake = await startFakeServices();
  const url = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
  const switchable = {
    name: 'switchable',
    required: true,
    check: async (): Promise<HealthStatus> => (dependencyUp ? { status: 'up' } : { status: 'down', detail: 'switched off by the test' }),
  };
  test = await startTestService({ USER_SERVICE_URL: url, PAYMENT_SERVICE_URL: url, EXTERNAL_CALL_TIMEOUT: '1s' }, { healthChecks: [switchable] });
});

afterAll(async () => {
  await test.close();
  await new Promise((resolve) => fake.close(resolve));
});

describe('UserSvc answers', () => {
  it('creates an order for an active customer', async () => {
    await test.api().post('/api/orders').send({ customerId: 'C-OK' }).expect(201);
  });

  it('answers CUSTOMER_INVALID for an unknown customer', async () => {
    const response = await test.api().post('/api/orders').send({ customerId: 'C-UNKNOWN' }).expect(422);
    expect(response.body.code).toBe('CUSTOMER_INVALID');
    expect(response.body.detail).toContain('no existe');
  });

  it('answers CUSTOMER_INVALID for an inactive customer', async () => {
    const response = await test.api().post('/api/orders').send({ customerId: 'C-INACTIVE' }).set('Accept-Language', 'en').expect(422);
    expect(response.body.code).toBe('CUSTOMER_INVALID');
    expect(response.body.detail).toContain('inactive');
  });

  it('answers 503 SERVICE_UNAVAILABLE with Retry-After while UserSvc is down', async () => {
    const response = await test.api().post('/api/orders').send({ customerId: 'C-DOWN' }).expect(503);
    expect(response.body.code).toBe('SERVICE_UNAVAILABLE');
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe('PaymentSvc answers', () => {
  it('answers 202 when PaymentSvc accepts', async () => {
    const id = await createOrder(test, { customerId: 'C-OK', items: [{ productId: 'SKU-1005', quantity: 1 }] });
    const response = await test.api().post(`/api/orders/${id}/payments`).send({ method: 'card' }).expect(202);
    expect(response.body.status).toBe('requested');
  });

  it('answers PAYMENT_REJECTED and records the rejection', async () => {
    const id = await createOrder(test, { customerId: 'C-OK', items: [{ productId: 'SKU-1005', quantity: 1 }] });
    const response = await test.api().post(`/api/orders/${id}/payments`).send({ method: 'declined-card' }).expect(422);
    expect(response.body.code).toBe('PAYMENT_REJECTED');
    const history = await test.api().get(`/api/orders/${id}/history`).expect(200);
    expect(history.body.items.map((item: { type: string }) => item.type)).toEqual(expect.arrayContaining(['PagoSolicitado', 'PagoRechazado']));
    const order = await test.api().get(`/api/orders/${id}`).expect(200);
    expect(order.body.status).toBe('pending');
  });

  it('answers 503 while PaymentSvc is down and leaves the order payable', async () => {
    const id = await createOrder(test, { customerId: 'C-OK', items: [{ productId: 'SKU-1005', quantity: 1 }] });
    const down = await test.api().post(`/api/orders/${id}/payments`).set('Idempotency-Key', 'pay-down').send({ method: 'broken-gateway' }).expect(503);
    expect(down.body.code).toBe('SERVICE_UNAVAILABLE');
    expect(down.headers['retry-after']).toBeDefined();
    const order = await test.api().get(`/api/orders/${id}`).expect(200);
    expect(order.body.status).toBe('pending');
    expect(order.body.due).toEqual(order.body.total);
    const history = await test.api().get(`/api/orders/${id}/history`).expect(200);
    expect(history.body.items.at(-1).type).toBe('PagoRechazado');
    const key = await test.service.db.query(`SELECT 1 FROM idempotency_keys WHERE key = 'pay-down'`);
    expect(key.rowCount).toBe(0);
  });
});

describe('readiness', () => {
  it('answers 503 while a required dependency is down, and 200 once it is back', async () => {
    dependencyUp = false;
    const down = await test.api().get('/health/ready').expect(503);
    expect(down.body.status).toBe('down');
    expect(down.body.checks.switchable).toEqual(expect.objectContaining({ status: 'down', required: true }));
    dependencyUp = true;
    const up = await test.api().get('/health/ready').expect(200);
    expect(up.body.checks.switchable.status).toBe('up');
  });
});
