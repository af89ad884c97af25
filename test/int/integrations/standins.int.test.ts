import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type SqlDatabase } from '../../../src/infrastructure/database';
import { migrate } from '../../../src/infrastructure/migrations';
import { findCustomer, findProduct, referenceDataMigrations, upsertCustomer, upsertProduct } from '../../../src/integrations/reference-data';
import {
  CatalogFileError,
  FlatShippingRates,
  readCatalogFile,
  SAMPLE_CATALOG_FILE,
  seedCatalog,
  StandinCustomerDirectory,
  StandinPaymentGateway,
  StandinProductCatalog,
  type StandinInboundMessage,
} from '../../../src/integrations/standins';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';

let testDb: TestDatabase;
let db: SqlDatabase;

beforeAll(async () => {
  testDb = await createTestDatabase('ordersvc_standins');
  db = await openDatabase({ databaseUrl: testDb.url, dataDir: 'unused' });
  await migrate(db, referenceDataMigrations);
  await seedCatalog(db, readCatalogFile(SAMPLE_CATALOG_FILE));
});

afterAll(async () => {
  await db.close();
  await testDb.drop();
});

describe('reference data', () => {
  it('keeps the newer product update when an older one arrives late', async () => {
    expect(await upsertProduct(db, { productId: 'P-LATE', available: 5, unitPrice: { amount: '10.00', currency: 'EUR' }, name: 'A' }, '2024-05-02T10:00:00Z')).toBe(true);
    expect(await upsertProduct(db, { productId: 'P-LATE', available: 99, unitPrice: { amount: '1.00', currency: 'EUR' } }, '2024-05-01T10:00:00Z')).toBe(false);

    const product = await findProduct(db, 'P-LATE');
    expect(product?.available).toBe(5);
    expect(product?.unitPrice).toEqual({ amount: '10.00', currency: 'EUR' });
  });

  it('keeps stored fields that an update leaves out', async () => {
    await upsertProduct(db, { productId: 'P-PART', available: 5, unitPrice: { amount: 7, currency: 'EUR' }, name: 'Part' }, '2024-05-01T10:00:00Z');
    await upsertProduct(db, { productId: 'P-PART', available: 2 }, '2024-05-01T11:00:00Z');

    const product = await findProduct(db, 'P-PART');
    expect(product).toMatchObject({ name: 'Part', available: 2, unitPrice: { amount: '7.00', currency: 'EUR' } });
  });

  it('rejects a price with too many decimals', async () => {
    await expect(upsertProduct(db, { productId: 'P-BAD', available: 1, unitPrice: { amount: '1.005', currency: 'EUR' } }, '2024-05-01T10:00:00Z')).rejects.toThrow(
      /not a valid amount/,
    );
  });

  it('lets an event overwrite a seeded product', async () => {
    expect(await upsertProduct(db, { productId: 'SKU-4002', available: 7 }, '2020-01-01T00:00:00Z')).toBe(true);
    expect((await findProduct(db, 'SKU-4002'))?.available).toBe(7);
  });

  it('keeps the newer customer update', async () => {
    await upsertCustomer(db, { customerId: 'C-1', active: false, email: 'a@example.com' }, '2024-05-02T10:00:00Z');
    expect(await upsertCustomer(db, { customerId: 'C-1', active: true }, '2024-05-01T10:00:00Z')).toBe(false);
    expect(await findCustomer(db, 'C-1')).toMatchObject({ active: false, email: 'a@example.com' });
  });
});

describe('catalog file', () => {
  it('names the file and the entry of an invalid product', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-')), 'bad.json');
    fs.writeFileSync(file, JSON.stringify([{ productId: 'OK-1', name: 'x', unitPrice: { amount: '1.00', currency: 'EUR' }, available: 1 }, { productId: 'BAD-2', name: 'y', unitPrice: { amount: '1.999', currency: 'EUR' }, available: 1 }]));

    expect(() => readCatalogFile(file)).toThrow(CatalogFileError);
    expect(() => readCatalogFile(file)).toThrow(/bad\.json: entry 1 \(productId "BAD-2"\): unitPrice\.amount/);
  });

  it('reports a file that is not JSON', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-')), 'broken.json');
    fs.writeFileSync(file, '[{');
    expect(() => readCatalogFile(file)).toThrow(/broken\.json: cannot be read as JSON/);
  });
});

describe('StandinProductCatalog', () => {
  it('serves seeded products with their price', async () => {
    const product = await new StandinProductCatalog(db).getProduct('SKU-1003');
    expect(product).toEqual({ productId: 'SKU-1003', name: 'Ratón ergonómico inalámbrico', unitPrice: { amount: '34.90', currency: 'EUR' }, available: 120 });
    expect(await new StandinProductCatalog(db).getProduct('NOPE')).toBeUndefined();
  });

  it('reserves stock once per idempotency key', async () => {
    const catalog = new StandinProductCatalog(db);
    const request = { orderId: 'o-1', idempotencyKey: 'o-1:reserve', lines: [{ productId: 'SKU-1002', quantity: 3 }, { productId: 'SKU-1002', quantity: 2 }] };

    const [first, second] = await Promise.all([catalog.reserveStock(request), catalog.reserveStock(request)]);

    expect(first.reserved).toBe(true);
    expect(second).toEqual(first);
    expect((await findProduct(db, 'SKU-1002'))?.available).toBe(20);
  });

  it('rejects a reservation without taking any stock', async () => {
    const catalog = new StandinProductCatalog(db);
    const result = await catalog.reserveStock({ orderId: 'o-2', idempotencyKey: 'o-2:reserve', lines: [{ productId: 'SKU-1005', quantity: 1 }, { productId: 'SKU-3003', quantity: 4 }] });

    expect(result).toEqual({ reserved: false, reason: expect.stringContaining('SKU-3003: 4 requested, 3 available') });
    expect((await findProduct(db, 'SKU-1005'))?.available).toBe(500);
  });

  it('gives released stock back once', async () => {
    const catalog = new StandinProductCatalog(db);
    const result = await catalog.reserveStock({ orderId: 'o-3', idempotencyKey: 'o-3:reserve', lines: [{ productId: 'SKU-1004', quantity: 2 }] });
    if (!result.reserved) throw new Error('expected a reservation');

    await catalog.releaseStock({ orderId: 'o-3', reservationId: result.reservationId, idempotencyKey: 'o-3:release' });
    await catalog.releaseStock({ orderId: 'o-3', reservationId: result.reservationId, idempotencyKey: 'o-3:release' });

    expect((await findProduct(db, 'SKU-1004'))?.available).toBe(12);
  });
});

describe('other stand-ins', () => {
  it('accepts unknown customers and reports inactive ones', async () => {
    const directory = new StandinCustomerDirectory(db);
    expect(await directory.getCustomer('anyone')).toEqual({ customerId: 'anyone', active: true });
    expect(await directory.getCustomer('C-1')).toMatchObject({ active: false });
  });

  it('quotes the flat rate in the order currency', async () => {
    const rates = new FlatShippingRates('4.90');
    expect(await rates.quote({ currency: 'EUR', lines: [] })).toEqual({ amount: '4.90', currency: 'EUR' });
    expect(await rates.quote({ currency: 'JPY', lines: [] })).toEqual({ amount: '5', currency: 'JPY' });
    expect(await rates.quote({ currency: 'KWD', lines: [] })).toEqual({ amount: '4.900', currency: 'KWD' });
  });

  it('confirms a payment once through deliver', async () => {
    const delivered: StandinInboundMessage[] = [];
    const gateway = new StandinPaymentGateway({ delayMs: 10, deliver: async (message) => void delivered.push(message) });
    const request = { orderId: 'o-9', paymentId: 'pay-9', amount: { amount: '10.00', currency: 'EUR' }, method: 'card', idempotencyKey: 'k-9' };

    await gateway.requestPayment(request);
    await gateway.requestPayment(request);
    await waitFor(() => delivered.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({ type: 'PagoConfirmado', data: { orderId: 'o-9', paymentId: 'pay-9', amount: request.amount } });
    await gateway.stop();
  });

  it('delivers nothing after stop', async () => {
    const delivered: StandinInboundMessage[] = [];
    const gateway = new StandinPaymentGateway({ delayMs: 30, deliver: async (message) => void delivered.push(message) });
    await gateway.requestPayment({ orderId: 'o-8', paymentId: 'p', amount: { amount: '1.00', currency: 'EUR' }, method: 'card', idempotencyKey: 'k-8' });
    await gateway.stop();
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(delivered).toHaveLength(0);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
