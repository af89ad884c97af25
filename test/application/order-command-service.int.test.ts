import { OrderCommandService } from '../../src/application/order-command-service';
import { createSqlEventStore, eventStoreMigrations, type SqlEventStore } from '../../src/eventstore';
import { openDatabase, type SqlDatabase } from '../../src/infrastructure/database';
import { AppError } from '../../src/infrastructure/errors';
import { migrate } from '../../src/infrastructure/migrations';
import type { PedidoCommand } from '../../src/pedido';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

let database: TestDatabase;
let db: SqlDatabase;
let store: SqlEventStore;

const EUR = (amount: string) => ({ amount, currency: 'EUR' });
const create = (orderId: string): PedidoCommand => ({
  type: 'CrearPedido',
  orderId,
  customerId: 'C-1',
  currency: 'EUR',
  shippingAddress: null,
  notes: null,
  items: [],
  shippingTotal: EUR('0.00'),
});
const add = (itemId: string, productId: string): PedidoCommand => ({ type: 'AgregarProductoAPedido', itemId, productId, quantity: 1, unitPrice: EUR('1.00') });

function service(): OrderCommandService {
  return new OrderCommandService({ eventStore: store, db, maxLineQuantity: 100, retries: 5 });
}

beforeAll(async () => {
  database = await createTestDatabase('ordersvc_commands');
  db = await openDatabase({ databaseUrl: database.url, dataDir: 'unused' });
  await migrate(db, eventStoreMigrations);
  store = createSqlEventStore(db);
});

afterAll(async () => {
  await store.close();
  await db.close();
  await database.drop();
});

describe('OrderCommandService', () => {
  it('appends with metadata from occurredAt and the caller', async () => {
    const orderId = 'aaaaaaaa-0000-4000-8000-000000000001';
    const outcome = await service().execute(orderId, create(orderId), { metadata: { correlationId: 'corr-1', causationId: 'cause-1' } });
    expect(outcome.revision).toBe(0);
    expect(outcome.appended).toHaveLength(1);
    const [stored] = await store.readStream(`pedido-${orderId}`);
    expect(stored.metadata).toEqual(expect.objectContaining({ correlationId: 'corr-1', causationId: 'cause-1', schemaVersion: 1 }));
    expect(stored.metadata.occurredAt).toBe((stored.data as { createdAt: string }).createdAt);
    expect(outcome.position).toBe(stored.position);
  });

  it('answers ORDER_NOT_FOUND for a command on no stream', async () => {
    await expect(service().execute('aaaaaaaa-0000-4000-8000-000000000002', add('i1', 'P1'))).rejects.toMatchObject({ code: 'ORDER_NOT_FOUND', status: 404 });
  });

  it('lands a command of an instance whose cached state is behind', async () => {
    const orderId = 'aaaaaaaa-0000-4000-8000-000000000003';
    const first = service();
    const second = service();
    await first.execute(orderId, create(orderId));
    await first.execute(orderId, add('bbbbbbbb-0000-4000-8000-000000000001', 'P1'));
    await second.execute(orderId, add('bbbbbbbb-0000-4000-8000-000000000002', 'P2'));

    const outcome = await first.execute(orderId, add('bbbbbbbb-0000-4000-8000-000000000003', 'P3'));
    expect(outcome.revision).toBe(3);
    expect(outcome.state.lines.map((line) => line.productId)).toEqual(['P1', 'P2', 'P3']);
  });

  it('checks a rule again on the stored state before rejecting', async () => {
    const orderId = 'aaaaaaaa-0000-4000-8000-000000000004';
    const first = service();
    const second = service();
    await first.execute(orderId, create(orderId));
    await second.execute(orderId, add('cccccccc-0000-4000-8000-000000000001', 'P1'));
    // first's cache has no line to change; the stored state has it.
    const outcome = await first.execute(orderId, { type: 'ModificarCantidad', itemId: 'cccccccc-0000-4000-8000-000000000001', quantity: 5 });
    expect(outcome.state.lines[0].quantity).toBe(5);
  });

  it('answers REVISION_MISMATCH for a pinned stale revision, even through a stale cache', async () => {
    const orderId = 'aaaaaaaa-0000-4000-8000-000000000005';
    const first = service();
    const second = service();
    await first.execute(orderId, create(orderId));
    await second.execute(orderId, add('dddddddd-0000-4000-8000-000000000001', 'P1'));
    const error = await first.execute(orderId, add('dddddddd-0000-4000-8000-000000000002', 'P2'), { expectedRevision: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'REVISION_MISMATCH', status: 412, params: { expected: 0, actual: 1 } });
    const ok = await first.execute(orderId, add('dddddddd-0000-4000-8000-000000000003', 'P3'), { expectedRevision: 1 });
    expect(ok.revision).toBe(2);
  });

  it('runs withinTransaction with or without events', async () => {
    const orderId = 'aaaaaaaa-0000-4000-8000-000000000006';
    await db.query('CREATE TABLE IF NOT EXISTS side_effects (order_id text, revision int, events int)');
    const commands = service();
    const record = async (tx: { query: SqlDatabase['query'] }, result: { nextRevision: number }, pending: { events: readonly unknown[] }) => {
      await tx.query('INSERT INTO side_effects VALUES ($1, $2, $3)', [orderId, result.nextRevision, pending.events.length]);
    };
    await commands.execute(orderId, create(orderId), { withinTransaction: record });
    await commands.execute(orderId, { type: 'CancelarPedido', reason: null }, { withinTransaction: record });
    await commands.execute(orderId, { type: 'CancelarPedido', reason: null }, { withinTransaction: record });
    const rows = await db.query<{ revision: number; events: number }>('SELECT revision, events FROM side_effects WHERE order_id = $1 ORDER BY revision, events', [orderId]);
    expect(rows.rows).toEqual([
      { revision: 0, events: 1 },
      { revision: 1, events: 0 },
      { revision: 1, events: 1 },
    ]);
  });

  it('rolls the events back when withinTransaction fails', async () => {
    const orderId = 'aaaaaaaa-0000-4000-8000-000000000007';
    const commands = service();
    await expect(
      commands.execute(orderId, create(orderId), {
        withinTransaction: async () => {
          throw new AppError('DISCOUNT_INVALID', 422, { reason: 'exhausted' });
        },
      }),
    ).rejects.toMatchObject({ code: 'DISCOUNT_INVALID' });
    expect(await store.readStream(`pedido-${orderId}`)).toEqual([]);
  });
});
