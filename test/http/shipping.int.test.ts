import supertest from 'supertest';
import { loadConfig } from '../../src/infrastructure/config';
import { openDatabase, type SqlDatabase } from '../../src/infrastructure/database';
import { migrate } from '../../src/infrastructure/migrations';
import { createIntegrations, referenceDataMigrations } from '../../src/integrations';
import type { ShippingRates } from '../../src/integrations/ports';
import { startService, type RunningService } from '../../src/service';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

// A shipping-rates stand-in whose cost depends on the lines: 1.00 per unit.
const perUnitRates: ShippingRates = {
  async quote({ currency, lines }) {
    const units = lines.reduce((sum, line) => sum + line.quantity, 0);
    return { amount: units.toFixed(2), currency };
  },
};

let database: TestDatabase;
let db: SqlDatabase;
let service: RunningService;
const api = () => supertest.agent(service.server);

beforeAll(async () => {
  database = await createTestDatabase('ordersvc_http');
  const config = loadConfig({ DATABASE_URL: database.url, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
  db = await openDatabase({ databaseUrl: database.url, dataDir: 'unused' });
  await migrate(db, referenceDataMigrations);
  const integrations = await createIntegrations(config, { db, deliver: async () => undefined });
  service = await startService(config, { db, integrations: { ...integrations, shippingRates: perUnitRates } });
});

afterAll(async () => {
  await service.stop();
  await db.close();
  await database.drop();
});

describe('shipping cost', () => {
  it('follows line changes', async () => {
    const created = await api().post('/api/orders').send({ customerId: 'C-1', items: [{ productId: 'SKU-1005', quantity: 2 }] }).expect(201);
    const id = created.body.id as string;
    expect(created.body.shippingTotal).toEqual({ amount: '2.00', currency: 'EUR' });

    const added = await api().post(`/api/orders/${id}/items`).send({ productId: 'SKU-1003', quantity: 1 }).expect(201);
    expect(added.body.shippingTotal).toEqual({ amount: '3.00', currency: 'EUR' });
    expect(added.headers.etag).toBe(`"${added.body.revision}"`);

    const cable = added.body.items.find((item: { productId: string }) => item.productId === 'SKU-1005');
    const changed = await api().put(`/api/orders/${id}/items/${cable.itemId}/quantity`).send({ quantity: 5 }).expect(200);
    expect(changed.body.shippingTotal).toEqual({ amount: '6.00', currency: 'EUR' });

    const removed = await api().delete(`/api/orders/${id}/items/${cable.itemId}`).expect(200);
    expect(removed.body.shippingTotal).toEqual({ amount: '1.00', currency: 'EUR' });
    expect(removed.body.total).toEqual({ amount: '35.90', currency: 'EUR' });
  });

  it('replays the response with the updated cost', async () => {
    const created = await api().post('/api/orders').send({ customerId: 'C-1' }).expect(201);
    const path = `/api/orders/${created.body.id}/items`;
    const first = await api().post(path).set('Idempotency-Key', 'ship-1').send({ productId: 'SKU-1005', quantity: 2 }).expect(201);
    const replay = await api().post(path).set('Idempotency-Key', 'ship-1').send({ productId: 'SKU-1005', quantity: 2 }).expect(201);
    expect(first.body.shippingTotal).toEqual({ amount: '2.00', currency: 'EUR' });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
  });
});
