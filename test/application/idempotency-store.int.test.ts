import { IdempotencyStore, idempotencyMigrations } from '../../src/application';
import { openDatabase, type SqlDatabase } from '../../src/infrastructure/database';
import { migrate } from '../../src/infrastructure/migrations';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

let database: TestDatabase;
let db: SqlDatabase;

const request = { method: 'POST', path: '/api/orders', bodyHash: 'hash-1' };
const reply = { status: 201, headers: { 'content-type': 'application/json; charset=utf-8', etag: '"0"' }, body: '{"id":"x"}' };

beforeAll(async () => {
  database = await createTestDatabase('ordersvc_idempotency');
  db = await openDatabase({ databaseUrl: database.url, dataDir: 'unused' });
  await migrate(db, idempotencyMigrations);
});

afterAll(async () => {
  await db.close();
  await database.drop();
});

describe('IdempotencyStore', () => {
  it('claims a new key and replays it once completed', async () => {
    const store = new IdempotencyStore(db, { ttlMs: 86_400_000 });
    expect(await store.claim('k-replay', request)).toEqual({ kind: 'claimed' });
    await store.complete(db, 'k-replay', reply);
    expect(await store.claim('k-replay', request)).toEqual({ kind: 'replay', response: reply });
  });

  it('rejects the key for another request', async () => {
    const store = new IdempotencyStore(db, { ttlMs: 86_400_000 });
    await store.claim('k-other', request);
    expect(await store.claim('k-other', { ...request, bodyHash: 'hash-2' })).toEqual({ kind: 'mismatch' });
    expect(await store.claim('k-other', { ...request, path: '/api/orders/1/items' })).toEqual({ kind: 'mismatch' });
  });

  it('reports a running claim as in progress after the wait', async () => {
    const store = new IdempotencyStore(db, { ttlMs: 86_400_000, waitMs: 200 });
    await store.claim('k-running', request);
    expect(await store.claim('k-running', request)).toEqual({ kind: 'in_progress' });
  });

  it('hands a waiting repeat the response that completes meanwhile', async () => {
    const store = new IdempotencyStore(db, { ttlMs: 86_400_000, waitMs: 5_000 });
    await store.claim('k-wait', request);
    const repeat = store.claim('k-wait', request);
    setTimeout(() => void store.complete(db, 'k-wait', reply), 150);
    expect(await repeat).toEqual({ kind: 'replay', response: reply });
  });

  it('lets a repeat execute after the first released its claim', async () => {
    const store = new IdempotencyStore(db, { ttlMs: 86_400_000 });
    await store.claim('k-release', request);
    await store.release('k-release');
    expect(await store.claim('k-release', request)).toEqual({ kind: 'claimed' });
  });

  it('takes over a claim whose lock expired', async () => {
    const store = new IdempotencyStore(db, { ttlMs: 86_400_000, lockMs: 1, waitMs: 2_000 });
    await store.claim('k-abandoned', request);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await store.claim('k-abandoned', request)).toEqual({ kind: 'claimed' });
  });

  it('reuses an expired key for any request', async () => {
    const store = new IdempotencyStore(db, { ttlMs: 1 });
    await store.claim('k-expired', request);
    await store.complete(db, 'k-expired', reply);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await store.claim('k-expired', { ...request, bodyHash: 'other' })).toEqual({ kind: 'claimed' });
  });
});
