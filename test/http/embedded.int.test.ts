import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import supertest from 'supertest';
import { eventually } from './harness';

// The embedded default, started the way `npm start` starts it: src/main.ts in
// its own process (PGlite needs native dynamic import, which jest's module
// sandbox lacks), with nothing configured but an in-memory database.
let child: ChildProcess;
let baseUrl: string;
let exitCode: Promise<number | null>;
const api = () => supertest.agent(baseUrl);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

beforeAll(async () => {
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  const root = path.resolve(__dirname, '../..');
  child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH, DATA_DIR: 'memory://', PORT: String(port), HOST: '127.0.0.1', PAYMENT_STANDIN_DELAY: '20ms', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  exitCode = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  await eventually(async () => {
    try {
      return (await api().get('/health/ready')).status === 200;
    } catch {
      return false;
    }
  }, 90_000);
}, 120_000);

afterAll(async () => {
  if (child.exitCode === null) child.kill('SIGTERM');
  await exitCode;
});

describe('embedded PGlite service', () => {
  it('is ready with the embedded database', async () => {
    const ready = await api().get('/health/ready').expect(200);
    expect(ready.body.checks.database.detail).toBe('pglite');
  });

  it('runs a whole order from creation to delivery', async () => {
    const created = await api().post('/api/orders').send({ customerId: 'C-1', items: [{ productId: 'SKU-1003', quantity: 1 }] }).expect(201);
    const id = created.body.id as string;

    const added = await api().post(`/api/orders/${id}/items`).send({ productId: 'SKU-1005', quantity: 2 }).expect(201);
    const cable = added.body.items.find((item: { productId: string }) => item.productId === 'SKU-1005');
    await api().put(`/api/orders/${id}/items/${cable.itemId}/quantity`).send({ quantity: 3 }).expect(200);
    const extra = await api().post(`/api/orders/${id}/items`).send({ productId: 'SKU-2001', quantity: 1 }).expect(201);
    const coffee = extra.body.items.find((item: { productId: string }) => item.productId === 'SKU-2001');
    await api().delete(`/api/orders/${id}/items/${coffee.itemId}`).expect(200);

    const discounted = await api().post(`/api/orders/${id}/discounts`).send({ code: 'WELCOME10' }).expect(200);
    expect(discounted.body.subtotal).toEqual({ amount: '64.75', currency: 'EUR' });
    expect(discounted.body.discountTotal).toEqual({ amount: '6.48', currency: 'EUR' });

    await api().post(`/api/orders/${id}/payments`).set('Idempotency-Key', 'embedded-pay').send({ method: 'card' }).expect(202);
    await eventually(async () => (await api().get(`/api/orders/${id}`)).body.status === 'confirmed');

    await api().put(`/api/orders/${id}/status`).send({ status: 'preparing' }).expect(200);
    await api().put(`/api/orders/${id}/status`).send({ status: 'shipped', carrier: 'Correos' }).expect(200);
    const delivered = await api().put(`/api/orders/${id}/status`).send({ status: 'delivered' }).expect(200);
    expect(delivered.body.status).toBe('delivered');
    expect(delivered.body.orderNumber).toEqual(expect.any(String));

    const history = await api().get(`/api/orders/${id}/history`).expect(200);
    expect(history.body.items.map((item: { type: string }) => item.type)).toEqual(
      expect.arrayContaining(['PedidoCreado', 'DescuentoAplicado', 'PagoRecibido', 'PedidoConfirmado', 'PedidoEnviado', 'PedidoEntregado']),
    );
  });

  it('cancels an order', async () => {
    const created = await api().post('/api/orders').send({ customerId: 'C-2', items: [{ productId: 'SKU-1003', quantity: 1 }] }).expect(201);
    const cancelled = await api().delete(`/api/orders/${created.body.id}`).send({ reason: 'ya no lo quiero' }).expect(200);
    expect(cancelled.body.status).toBe('cancelled');
  });

  it('stops cleanly on SIGTERM', async () => {
    child.kill('SIGTERM');
    expect(await exitCode).toBe(0);
  });
});
