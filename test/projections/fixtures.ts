import { randomUUID } from 'node:crypto';
import type { EventStore, NewEvent, Position, RecordedEvent } from '../../src/eventstore/port';
import { openDatabase, type SqlDatabase } from '../../src/infrastructure/database';
import { migrate } from '../../src/infrastructure/migrations';
import { createSqlEventStore, eventStoreMigrations } from '../../src/eventstore';
import { PEDIDO_EVENT_SCHEMA_VERSION, orderStreamId, type MoneyData, type PedidoEvent } from '../../src/pedido/events';
import { occurredAtOf } from '../../src/pedido';
import { projectionMigrations } from '../../projections';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

/** A test database with the event store and every projection table migrated. */
export interface ProjectionTestEnv {
  testDb: TestDatabase;
  db: SqlDatabase;
  store: EventStore;
  close(): Promise<void>;
}

export async function openProjectionTestEnv(poolSize = 10): Promise<ProjectionTestEnv> {
  const testDb = await createTestDatabase('ordersvc_proj');
  const db = await openDatabase({ databaseUrl: testDb.url, dataDir: 'unused', poolSize });
  await migrate(db, [...eventStoreMigrations, ...projectionMigrations]);
  const store = createSqlEventStore(db);
  return {
    testDb,
    db,
    store,
    async close() {
      await store.close();
      await db.close();
      await testDb.drop();
    },
  };
}

export function money(amount: string, currency: string): MoneyData {
  return { amount, currency };
}

/** Adds hours to an ISO time. */
export function plusHours(iso: string, hours: number): string {
  return new Date(Date.parse(iso) + hours * 3_600_000).toISOString();
}

/**
 * Builds the facts of one order in the order they happen. Amounts are given by
 * the test, so expected totals can be computed by hand.
 */
export class OrderFacts {
  readonly orderId: string;
  readonly events: PedidoEvent[] = [];
  private lineCount = 0;

  constructor(
    readonly currency: string,
    readonly customerId: string,
    readonly createdAt: string,
    orderId: string = randomUUID(),
  ) {
    this.orderId = orderId;
    this.events.push({
      type: 'PedidoCreado',
      data: { orderId, customerId, currency, shippingAddress: null, notes: null, createdAt },
    });
  }

  addLine(productId: string, quantity: number, unitPrice: string, at = this.createdAt): this {
    this.lineCount += 1;
    this.events.push({
      type: 'ProductoAgregado',
      data: { itemId: `item-${this.lineCount}`, productId, quantity, unitPrice: money(unitPrice, this.currency), addedAt: at },
    });
    return this;
  }

  changeQuantity(itemNumber: number, previousQuantity: number, quantity: number, at = this.createdAt): this {
    this.events.push({
      type: 'CantidadModificada',
      data: { itemId: `item-${itemNumber}`, productId: `p-${itemNumber}`, previousQuantity, quantity, changedAt: at },
    });
    return this;
  }

  discountPercent(code: string, percentOff: string, at = this.createdAt): this {
    this.events.push({ type: 'DescuentoAplicado', data: { code, percentOff, amountOff: null, appliedAt: at } });
    return this;
  }

  shipping(amount: string, at = this.createdAt): this {
    this.events.push({ type: 'CostoEnvioActualizado', data: { shippingTotal: money(amount, this.currency), updatedAt: at } });
    return this;
  }

  requestPayment(paymentId: string, method: string, amount: string, at: string): this {
    this.events.push({ type: 'PagoSolicitado', data: { paymentId, method, amount: money(amount, this.currency), requestedAt: at } });
    return this;
  }

  receivePayment(paymentId: string, method: string, amount: string, at: string): this {
    this.events.push({ type: 'PagoRecibido', data: { paymentId, method, amount: money(amount, this.currency), receivedAt: at } });
    return this;
  }

  rejectPayment(paymentId: string, reason: string, at: string): this {
    this.events.push({ type: 'PagoRechazado', data: { paymentId, reason, rejectedAt: at } });
    return this;
  }

  confirm(total: string, at: string, orderNumber = `ORD-${this.orderId.slice(0, 8)}`): this {
    this.events.push({ type: 'PedidoConfirmado', data: { orderNumber, total: money(total, this.currency), confirmedAt: at } });
    return this;
  }

  reserve(at: string): this {
    this.events.push({ type: 'InventarioReservado', data: { reservationId: `res-${this.orderId.slice(0, 8)}`, reservedAt: at } });
    return this;
  }

  ship(at: string): this {
    this.events.push({ type: 'PedidoEnviado', data: { carrier: 'Correos', trackingNumber: 'TRK1', shippedAt: at } });
    return this;
  }

  deliver(at: string): this {
    this.events.push({ type: 'PedidoEntregado', data: { deliveredAt: at } });
    return this;
  }

  cancel(at: string, refundDue = '0'): this {
    this.events.push({
      type: 'PedidoCancelado',
      data: { reason: 'customer request', cancelledAt: at, refundDue: money(refundDue, this.currency) },
    });
    return this;
  }

  anomalies(reasons: string[], at: string): this {
    this.events.push({ type: 'AnomaliasRegistradas', data: { reasons, source: 'import', detectedAt: at } });
    return this;
  }
}

/** Turns domain events into store events with the metadata the command service writes. */
export function toNewEvents(events: readonly PedidoEvent[]): NewEvent[] {
  return events.map((event) => ({
    id: randomUUID(),
    type: event.type,
    data: event.data,
    metadata: { occurredAt: occurredAtOf(event), schemaVersion: PEDIDO_EVENT_SCHEMA_VERSION },
  }));
}

/** Appends an order's facts to its stream in one append; returns the position of the last one. */
export async function appendOrder(store: EventStore, order: OrderFacts): Promise<Position> {
  const result = await store.append(orderStreamId(order.orderId), toNewEvents(order.events), { expectedRevision: 'no_stream' });
  return result.position;
}

/** Appends facts to an existing order stream after `revision`. */
export async function appendMore(store: EventStore, orderId: string, revision: number, events: readonly PedidoEvent[]): Promise<Position> {
  const result = await store.append(orderStreamId(orderId), toNewEvents(events), { expectedRevision: revision });
  return result.position;
}

/** Resolves when `check` returns true, polling every 50 ms, or rejects after `timeoutMs`. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 30_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
}

/**
 * Reads the whole log up to `position`. The SQL store shows an event only once
 * every older transaction of the server ended, so this waits for that.
 */
export async function readLogUntil(store: EventStore, position: Position, timeoutMs = 30_000): Promise<RecordedEvent[]> {
  const deadline = Date.now() + timeoutMs;
  const events: RecordedEvent[] = [];
  let after: Position | null = null;
  while (after === null || after < position) {
    const batch = await store.readAll(after, 5_000);
    if (batch.length === 0) {
      if (Date.now() > deadline) throw new Error(`Timed out reading the log up to ${position}`);
      await store.waitForEvents(after, 1_000);
      continue;
    }
    events.push(...batch);
    after = batch[batch.length - 1].position;
  }
  return events;
}
