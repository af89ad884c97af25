import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createOrder, startTestService, type TestService } from './harness';

let test: TestService;
let promotionsFile: string;

beforeAll(async () => {
  promotionsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ordersvc-promotions-')), 'promotions.json');
  fs.writeFileSync(promotionsFile, JSON.stringify([{ code: 'ONLY3', percentOff: 5, maxRedemptions: 3 }]));
  test = await startTestService({ PROMOTIONS_FILE: promotionsFile, COMMAND_RETRIES: '30' });
});

afterAll(async () => {
  await test.close();
  fs.rmSync(path.dirname(promotionsFile), { recursive: true, force: true });
});

async function eventCount(orderId: string): Promise<number> {
  const result = await test.service.db.query<{ count: string }>('SELECT count(*) AS count FROM events WHERE stream_id = $1', [`pedido-${orderId}`]);
  return Number(result.rows[0].count);
}

describe('concurrent commands', () => {
  it('lands all of 20 concurrent additions to one order', async () => {
    const id = await createOrder(test, { customerId: 'C-1' });
    const products = ['SKU-1001', 'SKU-1002', 'SKU-1003', 'SKU-1005', 'SKU-1006'];
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, index) => test.api().post(`/api/orders/${id}/items`).send({ productId: products[index % products.length], quantity: 1 })),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(201));

    const order = await test.api().get(`/api/orders/${id}`).expect(200);
    const quantities = Object.fromEntries(order.body.items.map((item: { productId: string; quantity: number }) => [item.productId, item.quantity]));
    expect(quantities).toEqual(Object.fromEntries(products.map((product) => [product, 4])));
    const revisions = responses.map((response) => response.body.revision as number).sort((a, b) => a - b);
    expect(new Set(revisions).size).toBe(20);
  });

  it('never redeems a code beyond its limit under concurrency', async () => {
    const ids = await Promise.all(Array.from({ length: 6 }, () => createOrder(test)));
    const responses = await Promise.all(ids.map((id) => test.api().post(`/api/orders/${id}/discounts`).send({ code: 'ONLY3' })));
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses.filter((status) => status === 200)).toHaveLength(3);
    expect(responses.filter((response) => response.status === 422).every((response) => response.body.code === 'DISCOUNT_INVALID')).toBe(true);
    const stored = await test.service.db.query<{ redemptions: number }>(`SELECT redemptions FROM promotions WHERE code = 'ONLY3'`);
    expect(stored.rows[0].redemptions).toBe(3);
  });
});

describe('If-Match', () => {
  it('runs a command pinned to the current revision', async () => {
    const id = await createOrder(test);
    const current = await test.api().get(`/api/orders/${id}`).expect(200);
    const response = await test.api().post(`/api/orders/${id}/items`).set('If-Match', current.headers.etag).send({ productId: 'SKU-1005', quantity: 1 }).expect(201);
    expect(response.body.revision).toBeGreaterThan(current.body.revision);
  });

  it('answers 412 REVISION_MISMATCH for a stale revision and appends nothing', async () => {
    const id = await createOrder(test);
    const before = await eventCount(id);
    const current = await test.api().get(`/api/orders/${id}`).expect(200);
    const stale = `"${current.body.revision - 1}"`;
    const response = await test.api().post(`/api/orders/${id}/items`).set('If-Match', stale).send({ productId: 'SKU-1005', quantity: 1 }).expect(412);
    expect(response.body.code).toBe('REVISION_MISMATCH');
    expect(await eventCount(id)).toBe(before);
  });

  it('lets only one of two commands pinned to the same revision through', async () => {
    const id = await createOrder(test);
    const etag = (await test.api().get(`/api/orders/${id}`)).headers.etag;
    const responses = await Promise.all(
      ['SKU-1005', 'SKU-1006'].map((productId) => test.api().post(`/api/orders/${id}/items`).set('If-Match', etag).send({ productId, quantity: 1 })),
    );
    expect(responses.map((response) => response.status).sort()).toEqual([201, 412]);
  });
});

describe('Idempotency-Key', () => {
  it('replays the stored response with Idempotent-Replayed', async () => {
    const body = { customerId: 'C-IDEM', items: [{ productId: 'SKU-1003', quantity: 1 }] };
    const first = await test.api().post('/api/orders').set('Idempotency-Key', 'create-order-1').send(body).expect(201);
    const second = await test.api().post('/api/orders').set('Idempotency-Key', 'create-order-1').send(body).expect(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(second.body).toEqual(first.body);
    expect(second.headers.location).toBe(first.headers.location);
    expect(second.headers.etag).toBe(first.headers.etag);
    expect(second.headers['x-event-position']).toBe(first.headers['x-event-position']);
    const orders = await test.service.db.query(`SELECT 1 FROM events WHERE type = 'PedidoCreado' AND data->>'customerId' = 'C-IDEM'`);
    expect(orders.rowCount).toBe(1);
  });

  it('stores the response in the same transaction as the events', async () => {
    const id = await createOrder(test);
    const response = await test.api().post(`/api/orders/${id}/items`).set('Idempotency-Key', 'tx-check').send({ productId: 'SKU-1005', quantity: 1 }).expect(201);
    const row = await test.service.db.query<{ status: string; response_status: number; response_body: string }>(
      `SELECT status, response_status, response_body FROM idempotency_keys WHERE key = 'tx-check'`,
    );
    expect(row.rows[0].status).toBe('completed');
    expect(row.rows[0].response_status).toBe(201);
    expect(JSON.parse(row.rows[0].response_body)).toEqual(response.body);
  });

  it('executes concurrent requests sharing one key once', async () => {
    const id = await createOrder(test);
    const before = await eventCount(id);
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => test.api().post(`/api/orders/${id}/items`).set('Idempotency-Key', 'same-add').send({ productId: 'SKU-1006', quantity: 2 })),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(8).fill(201));
    expect(responses.filter((response) => response.headers['idempotent-replayed'] === 'true')).toHaveLength(7);
    expect(new Set(responses.map((response) => response.body.revision)).size).toBe(1);
    expect(await eventCount(id)).toBe(before + 1);
    const order = await test.api().get(`/api/orders/${id}`).expect(200);
    expect(order.body.items.find((item: { productId: string }) => item.productId === 'SKU-1006').quantity).toBe(2);
  });

  it('answers IDEMPOTENCY_KEY_REUSED for another body, path or method', async () => {
    const id = await createOrder(test);
    await test.api().post(`/api/orders/${id}/items`).set('Idempotency-Key', 'reused').send({ productId: 'SKU-1005', quantity: 1 }).expect(201);
    const otherBody = await test.api().post(`/api/orders/${id}/items`).set('Idempotency-Key', 'reused').send({ productId: 'SKU-1005', quantity: 2 }).expect(422);
    expect(otherBody.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const otherPath = await test.api().post(`/api/orders/${id}/discounts`).set('Idempotency-Key', 'reused').send({ productId: 'SKU-1005', quantity: 1 }).expect(422);
    expect(otherPath.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const otherMethod = await test.api().delete(`/api/orders/${id}`).set('Idempotency-Key', 'reused').expect(422);
    expect(otherMethod.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it.each([
    ['too long', 'k'.repeat(256)],
    ['with a space', 'two words'],
    ['with non-ASCII characters', 'clé'],
  ])('rejects a key %s with 400', async (_label, key) => {
    const id = await createOrder(test);
    const response = await test.api().post(`/api/orders/${id}/items`).set('Idempotency-Key', key).send({ productId: 'SKU-1005', quantity: 1 });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('IDEMPOTENCY_KEY_INVALID');
  });

  it('accepts a key of 255 visible characters', async () => {
    const id = await createOrder(test);
    await test.api().post(`/api/orders/${id}/items`).set('Idempotency-Key', '~'.repeat(255)).send({ productId: 'SKU-1005', quantity: 1 }).expect(201);
  });

  it('replays an error response too', async () => {
    const id = await createOrder(test);
    const first = await test.api().put(`/api/orders/${id}/status`).set('Idempotency-Key', 'bad-transition').send({ status: 'delivered' }).expect(409);
    const second = await test.api().put(`/api/orders/${id}/status`).set('Idempotency-Key', 'bad-transition').send({ status: 'delivered' }).expect(409);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toEqual(first.body);
  });

  it('stores the final payment response', async () => {
    const id = await createOrder(test);
    const first = await test.api().post(`/api/orders/${id}/payments`).set('Idempotency-Key', 'pay-1').send({ method: 'card' }).expect(202);
    const second = await test.api().post(`/api/orders/${id}/payments`).set('Idempotency-Key', 'pay-1').send({ method: 'card' }).expect(202);
    expect(second.body.paymentId).toBe(first.body.paymentId);
    expect(second.headers['idempotent-replayed']).toBe('true');
  });

  it('purges expired keys', async () => {
    await test.service.db.query(
      `INSERT INTO idempotency_keys (key, method, path, body_hash, status, locked_until, expires_at)
       VALUES ('old-key', 'POST', '/api/orders', 'x', 'completed', now(), now() - interval '1 hour')`,
    );
    const { IdempotencyStore } = await import('../../src/application');
    const purged = await new IdempotencyStore(test.service.db, { ttlMs: 86_400_000 }).purgeExpired();
    expect(purged).toBeGreaterThanOrEqual(1);
    const left = await test.service.db.query(`SELECT 1 FROM idempotency_keys WHERE key = 'old-key'`);
    expect(left.rowCount).toBe(0);
  });

  it('keeps keys for the configured time', async () => {
    const id = await createOrder(test);
    await test.api().post(`/api/orders/${id}/items`).set('Idempotency-Key', 'ttl-check').send({ productId: 'SKU-1005', quantity: 1 }).expect(201);
    const row = await test.service.db.query<{ hours: string }>(
      `SELECT extract(epoch FROM expires_at - created_at) / 3600 AS hours FROM idempotency_keys WHERE key = 'ttl-check'`,
    );
    expect(Number(row.rows[0].hours)).toBeGreaterThanOrEqual(23.9);
  });
});
