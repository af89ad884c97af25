import type { Options } from 'amqplib';
import type { EventStore, Position, RecordedEvent } from '../eventstore/port';
import type { MoneyData, PedidoEvent, PedidoEventType } from '../pedido/events';
import { orderIdFromStream } from '../pedido/events';

/**
 * The published contract: the seven public events of the order, the routing
 * key, the AMQP properties and the JSON body that other services consume.
 * Stored events that are not public facts go out as `PedidoActualizado`
 * with `change` naming the stored event.
 */
export const publishedEventTypes = [
  'PedidoCreado',
  'PedidoActualizado',
  'PedidoConfirmado',
  'PedidoCancelado',
  'PagoRecibido',
  'PedidoEnviado',
  'PedidoEntregado',
] as const;

export type PublishedEventType = (typeof publishedEventTypes)[number];

export const DEFAULT_EVENTS_EXCHANGE = 'ordersvc.events';

export function routingKeyFor(type: PublishedEventType): string {
  return `pedido.${type}`;
}

export interface PublishedLine {
  itemId: string;
  productId: string;
  quantity: number;
  unitPrice: MoneyData;
  lineTotal: MoneyData;
}

/** Order state after an event, as the payloads use it: a subset of the REST order view. */
export interface OrderSnapshot {
  customerId: string;
  currency: string;
  status: string;
  items: readonly PublishedLine[];
  subtotal: MoneyData;
  discountTotal: MoneyData;
  shippingTotal: MoneyData;
  total: MoneyData;
  paid: MoneyData;
  due: MoneyData;
}

/** The domain's fold, narrowed to what the mapping needs (wired in `pedido-fold.ts`). */
export interface OrderFold<S> {
  initialState: S;
  evolve(state: S, event: PedidoEvent): S;
  snapshot(state: S, revision: number): OrderSnapshot;
  /** The cheap part of the snapshot, for events whose payload carries no lines or totals. */
  summary(state: S): Pick<OrderSnapshot, 'customerId' | 'status'>;
}

/** Published types whose `data` needs only the order's customer and status from its state. */
const summaryOnlyFacts = new Set<PedidoEventType>(['PedidoConfirmado', 'PedidoCancelado', 'PedidoEnviado', 'PedidoEntregado']);

export interface PublishedEvent {
  eventId: string;
  type: PublishedEventType;
  orderId: string;
  revision: number;
  occurredAt: string;
  data: Record<string, unknown>;
}

/** One message ready for `publish`, with the log coordinates the relay checkpoints. */
export interface OutgoingMessage {
  eventId: string;
  streamId: string;
  revision: number;
  position: Position;
  routingKey: string;
  content: Buffer;
  options: Options.Publish;
}

/** Stored events that the command creating an order appends together with `PedidoCreado`. */
const creationFacts = new Set<PedidoEventType>(['ProductoAgregado', 'CantidadModificada', 'DescuentoAplicado', 'CostoEnvioActualizado']);

function pricing(snapshot: OrderSnapshot) {
  return {
    items: snapshot.items,
    subtotal: snapshot.subtotal,
    discountTotal: snapshot.discountTotal,
    shippingTotal: snapshot.shippingTotal,
    total: snapshot.total,
  };
}

/**
 * Builds the published `data` of one stored event from the order's state
 * right after it. For `PedidoCreado`, `snapshot` is the state after the
 * whole creating command (its lines, discount and shipping).
 */
export function publishedDataOf(
  event: PedidoEvent,
  snapshot: OrderSnapshot | Pick<OrderSnapshot, 'customerId' | 'status'>,
): { type: PublishedEventType; data: Record<string, unknown> } {
  const common = { customerId: snapshot.customerId, status: snapshot.status };
  // Only the summary-only types (see summaryOnlyFacts) are given a partial snapshot.
  const full = snapshot as OrderSnapshot;
  switch (event.type) {
    case 'PedidoCreado':
      return {
        type: 'PedidoCreado',
        data: { ...common, currency: event.data.currency, ...pricing(full), paid: full.paid, due: full.due, createdAt: event.data.createdAt },
      };
    case 'PedidoConfirmado':
      return { type: 'PedidoConfirmado', data: { ...common, orderNumber: event.data.orderNumber, total: event.data.total, confirmedAt: event.data.confirmedAt } };
    case 'PedidoCancelado':
      return {
        type: 'PedidoCancelado',
        data: { ...common, reason: event.data.reason, cancelledAt: event.data.cancelledAt, refundDue: event.data.refundDue },
      };
    case 'PagoRecibido':
      return {
        type: 'PagoRecibido',
        data: {
          ...common,
          paymentId: event.data.paymentId,
          amount: event.data.amount,
          method: event.data.method,
          receivedAt: event.data.receivedAt,
          total: full.total,
          paid: full.paid,
          due: full.due,
        },
      };
    case 'PedidoEnviado':
      return {
        type: 'PedidoEnviado',
        data: { ...common, carrier: event.data.carrier, trackingNumber: event.data.trackingNumber, shippedAt: event.data.shippedAt },
      };
    case 'PedidoEntregado':
      return { type: 'PedidoEntregado', data: { ...common, deliveredAt: event.data.deliveredAt } };
    default:
      return {
        type: 'PedidoActualizado',
        data: { change: event.type, ...common, ...pricing(full), paid: full.paid, due: full.due, details: event.data },
      };
  }
}

/** Wraps a published event into the routing key, body and AMQP properties of the contract. */
export function toOutgoingMessage(recorded: RecordedEvent, published: PublishedEvent): OutgoingMessage {
  const recordedMs = Date.parse(recorded.recordedAt);
  return {
    eventId: recorded.id,
    streamId: recorded.streamId,
    revision: recorded.revision,
    position: recorded.position,
    routingKey: routingKeyFor(published.type),
    content: Buffer.from(JSON.stringify(published)),
    options: {
      messageId: recorded.id,
      type: published.type,
      contentType: 'application/json',
      // AMQP timestamps are whole seconds; the commit time keeps republished copies identical.
      timestamp: Math.floor((Number.isNaN(recordedMs) ? Date.now() : recordedMs) / 1000),
      persistent: true,
      headers: {
        'x-correlation-id': recorded.metadata.correlationId ?? null,
        'x-causation-id': recorded.metadata.causationId ?? null,
      },
    },
  };
}

interface OrderCursor<S> {
  state: S;
  /** Revision of the last event folded into `state`. */
  revision: number;
}

/**
 * Maps batches of the global log to outgoing messages. It folds each order's
 * stream up to the event's revision and keeps that state between batches
 * (bounded), so a backlog read in log order needs no extra stream reads.
 * Events of other streams map to nothing.
 */
export class PublishedEventMapper<S> {
  private readonly cursors = new Map<string, OrderCursor<S>>();

  constructor(
    private readonly fold: OrderFold<S>,
    private readonly store: Pick<EventStore, 'readStream'>,
    private readonly maxCachedOrders = 10_000,
  ) {}

  async map(batch: readonly RecordedEvent[]): Promise<OutgoingMessage[]> {
    const messages: OutgoingMessage[] = [];
    for (let index = 0; index < batch.length; index += 1) {
      const recorded = batch[index];
      const orderId = orderIdFromStream(recorded.streamId);
      if (orderId === undefined) continue;

      const event = { type: recorded.type, data: recorded.data } as PedidoEvent;
      const cached = this.cursors.get(recorded.streamId);
      const before = cached && cached.revision === recorded.revision - 1 ? cached.state : await this.stateBefore(recorded);
      const after = this.fold.evolve(before, event);
      this.remember(recorded.streamId, { state: after, revision: recorded.revision });

      const described =
        event.type === 'PedidoCreado'
          ? await this.stateAfterCreation(after, recorded, batch, index)
          : { state: after, revision: recorded.revision };
      const snapshot = summaryOnlyFacts.has(event.type)
        ? this.fold.summary(described.state)
        : this.fold.snapshot(described.state, described.revision);
      const { type, data } = publishedDataOf(event, snapshot);
      const published: PublishedEvent = {
        eventId: recorded.id,
        type,
        orderId,
        revision: recorded.revision,
        occurredAt: recorded.metadata.occurredAt,
        data,
      };
      messages.push(toOutgoingMessage(recorded, published));
    }
    return messages;
  }

  /** Forgets cached states, e.g. after the relay lost its lease and another instance may have run. */
  reset(): void {
    this.cursors.clear();
  }

  private async stateBefore(recorded: RecordedEvent): Promise<S> {
    const cached = this.cursors.get(recorded.streamId);
    if (cached && cached.revision === recorded.revision - 1) return cached.state;
    if (recorded.revision === 0) return this.fold.initialState;

    const earlier = await this.store.readStream(recorded.streamId, { fromRevision: 0, maxCount: recorded.revision });
    let state = this.fold.initialState;
    for (const stored of earlier) state = this.fold.evolve(state, { type: stored.type, data: stored.data } as PedidoEvent);
    return state;
  }

  /**
   * Folds the lines, discount and shipping that the creating command appended
   * right after `PedidoCreado`: the following events of the stream with the
   * same business time, which the command gives all of its facts.
   */
  private async stateAfterCreation(
    afterCreated: S,
    created: RecordedEvent,
    batch: readonly RecordedEvent[],
    index: number,
  ): Promise<OrderCursor<S>> {
    // 1. The creation facts that follow in this batch, up to the first other event of the stream.
    const run: RecordedEvent[] = [];
    let runEnded = false;
    for (let next = index + 1; next < batch.length && !runEnded; next += 1) {
      const event = batch[next];
      if (event.streamId !== created.streamId) continue;
      if (isCreationFact(event, created)) run.push(event);
      else runEnded = true;
    }

    // 2. A run that reaches the end of the batch may go on in the stream.
    if (!runEnded) {
      const lastInBatch = run.length > 0 ? run[run.length - 1].revision : created.revision;
      run.push(...(await this.store.readStream(created.streamId, { fromRevision: lastInBatch + 1, maxCount: 200 })));
    }

    let cursor: OrderCursor<S> = { state: afterCreated, revision: created.revision };
    for (const event of run) {
      if (event.revision !== cursor.revision + 1 || !isCreationFact(event, created)) break;
      cursor = { state: this.fold.evolve(cursor.state, { type: event.type, data: event.data } as PedidoEvent), revision: event.revision };
    }
    return cursor;
  }

  private remember(streamId: string, cursor: OrderCursor<S>): void {
    this.cursors.delete(streamId);
    this.cursors.set(streamId, cursor);
    if (this.cursors.size > this.maxCachedOrders) {
      const oldest = this.cursors.keys().next().value;
      if (oldest !== undefined) this.cursors.delete(oldest);
    }
  }
}

function isCreationFact(event: RecordedEvent, created: RecordedEvent): boolean {
  return creationFacts.has(event.type as PedidoEventType) && event.metadata.occurredAt === created.metadata.occurredAt;
}
