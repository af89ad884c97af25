import { Router, type Request, type Response } from 'express';
import type { EventStore, RecordedEvent } from '../../eventstore/port';
import { AppError } from '../../infrastructure/errors';
import { evolve, initialPedidoState, orderStreamId, paymentsOf, type PedidoEvent, type PedidoState } from '../../pedido';
import type { OrderCommandService } from '../../application/order-command-service';
import type { OrderUseCases, StatusChange } from '../../application/use-cases/order-use-cases';
import { idempotencySessionOf } from '../idempotency';
import { commandOptions, orderReply, runCommand, sendReply, toStoredResponse, type Reply } from '../replies';
import { emptyQuerySchema, itemParamsSchema, orderParamsSchema, orderQuerySchema, type RequestSchemas } from '../schemas';
import { parseInput } from '../validation';

export interface OrdersRouterDependencies {
  useCases: OrderUseCases;
  commands: OrderCommandService;
  eventStore: EventStore;
  schemas: RequestSchemas;
}

/** Command endpoints of /api/orders, plus the order and its history rebuilt from its stream. */
export function ordersRouter(deps: OrdersRouterDependencies): Router {
  const router = Router();
  const { useCases, schemas } = deps;

  router.post('/api/orders', async (req, res) => {
    parseInput(emptyQuerySchema, req.query, 'query');
    const body = parseInput(schemas.createOrder, req.body, 'body');
    await runCommand(req, res, (options) => useCases.createOrder(body, options), (state, revision, position) =>
      orderReply(201, state, revision, position, { Location: `/api/orders/${state.orderId}` }),
    );
  });

  router.get('/api/orders/:id', async (req, res) => {
    const { id } = parseInput(orderParamsSchema, req.params, 'params');
    const query = parseInput(orderQuerySchema, req.query, 'query');
    const { state, revision } = query.revision !== undefined || query.at !== undefined
      ? await orderAsItWas(deps.eventStore, id, query)
      : await currentOrder(deps.commands, id);
    sendReply(res, orderReply(200, state, revision, null));
  });

  router.get('/api/orders/:id/history', async (req, res) => {
    const { id } = parseInput(orderParamsSchema, req.params, 'params');
    parseInput(emptyQuerySchema, req.query, 'query');
    const events = await deps.eventStore.readStream(orderStreamId(id));
    if (events.length === 0) throw new AppError('ORDER_NOT_FOUND', 404, { orderId: id });
    const last = events[events.length - 1];
    sendReply(res, { status: 200, headers: { ETag: `"${last.revision}"` }, body: { items: events.map(toHistoryItem) } });
  });

  router.put('/api/orders/:id/status', async (req, res) => {
    const { id } = parseInput(orderParamsSchema, req.params, 'params');
    const body = parseInput(schemas.changeStatus, req.body, 'body');
    await runCommand(req, res, (options) => useCases.changeStatus(id, toStatusChange(body), options), (state, revision, position) =>
      orderReply(200, state, revision, position),
    );
  });

  router.delete('/api/orders/:id', async (req, res) => {
    const { id } = parseInput(orderParamsSchema, req.params, 'params');
    const body = parseInput(schemas.cancelOrder, req.body ?? {}, 'body');
    await runCommand(req, res, (options) => useCases.cancel(id, body.reason ?? null, options), (state, revision, position) =>
      orderReply(200, state, revision, position),
    );
  });

  router.post('/api/orders/:id/items', async (req, res) => {
    const { id } = parseInput(orderParamsSchema, req.params, 'params');
    const body = parseInput(schemas.lineInput, req.body, 'body');
    await runCommand(req, res, (options) => useCases.addItem(id, body, options), (state, revision, position) =>
      orderReply(201, state, revision, position),
    );
  });

  router.delete('/api/orders/:id/items/:itemId', async (req, res) => {
    const { id, itemId } = parseInput(itemParamsSchema, req.params, 'params');
    parseInput(emptyQuerySchema, req.body ?? {}, 'body');
    await runCommand(req, res, (options) => useCases.removeItem(id, itemId, options), (state, revision, position) =>
      orderReply(200, state, revision, position),
    );
  });

  router.put('/api/orders/:id/items/:itemId/quantity', async (req, res) => {
    const { id, itemId } = parseInput(itemParamsSchema, req.params, 'params');
    const body = parseInput(schemas.changeQuantity, req.body, 'body');
    await runCommand(req, res, (options) => useCases.changeQuantity(id, itemId, body.quantity, options), (state, revision, position) =>
      orderReply(200, state, revision, position),
    );
  });

  router.post('/api/orders/:id/discounts', async (req, res) => {
    const { id } = parseInput(orderParamsSchema, req.params, 'params');
    const body = parseInput(schemas.applyDiscount, req.body, 'body');
    await runCommand(req, res, (options) => useCases.applyDiscount(id, body.code, options), (state, revision, position) =>
      orderReply(200, state, revision, position),
    );
  });

  router.post('/api/orders/:id/payments', async (req, res) => {
    const { id } = parseInput(orderParamsSchema, req.params, 'params');
    const body = parseInput(schemas.requestPayment, req.body, 'body');
    await requestPayment(req, res, deps.useCases, id, body);
  });

  return router;
}

/**
 * POST payments answers 202 with the payment requested. When the order had
 * nothing to pay (a zero total), it was confirmed at once and the order is
 * returned with 200 instead.
 */
async function requestPayment(req: Request, res: Response, useCases: OrderUseCases, orderId: string, body: { method: string; amount?: { amount: string; currency: string } }): Promise<void> {
  const options = commandOptions(req);
  const session = idempotencySessionOf(res);
  const render = (state: PedidoState, revision: number, position: string | null, paymentId: string | undefined): Reply => {
    const payment = paymentId === undefined ? undefined : paymentsOf(state).find((candidate) => candidate.paymentId === paymentId);
    if (!payment) return orderReply(200, state, revision, position);
    const headers: Record<string, string> = { ETag: `"${revision}"`, Location: `/api/orders/${orderId}/payments/${payment.paymentId}` };
    if (position !== null) headers['X-Event-Position'] = position;
    return { status: 202, headers, body: payment };
  };
  if (session) {
    options.withinTransaction = (tx, result, pending) => {
      const requested = pending.events.find((event) => event.type === 'PagoSolicitado');
      const paymentId = requested?.type === 'PagoSolicitado' ? requested.data.paymentId : undefined;
      const position = pending.events.length > 0 ? result.position : null;
      return session.storeWithin(tx, toStoredResponse(render(pending.state, result.nextRevision, position, paymentId)));
    };
  }
  const { outcome, payment } = await useCases.requestPayment(orderId, body, options);
  session?.committed();
  sendReply(res, render(outcome.state, outcome.revision, outcome.position, payment?.paymentId));
}

function toStatusChange(body: ReturnType<RequestSchemas['changeStatus']['parse']>): StatusChange {
  switch (body.status) {
    case 'preparing':
      return { status: 'preparing' };
    case 'shipped':
      return { status: 'shipped', carrier: body.carrier ?? null, trackingNumber: body.trackingNumber ?? null };
    case 'delivered':
      return { status: 'delivered' };
    case 'cancelled':
      return { status: 'cancelled', reason: body.reason ?? null };
  }
}

async function currentOrder(commands: OrderCommandService, orderId: string): Promise<{ state: PedidoState; revision: number }> {
  const loaded = await commands.load(orderId);
  if (!loaded) throw new AppError('ORDER_NOT_FOUND', 404, { orderId });
  return loaded;
}

/** Folds the stream up to a revision, or up to the last event whose business time is at or before `at`. */
async function orderAsItWas(
  eventStore: EventStore,
  orderId: string,
  query: { revision?: number; at?: string },
): Promise<{ state: PedidoState; revision: number }> {
  const events = await eventStore.readStream(orderStreamId(orderId));
  if (events.length === 0) throw new AppError('ORDER_NOT_FOUND', 404, { orderId });
  const lastRevision = events[events.length - 1].revision;

  let upTo: RecordedEvent[];
  if (query.revision !== undefined) {
    if (query.revision > lastRevision) throw new AppError('REVISION_NOT_FOUND', 404, { orderId, revision: query.revision, lastRevision });
    upTo = events.filter((event) => event.revision <= query.revision!);
  } else {
    // The longest prefix of the stream up to that time, so the fold always sees whole history.
    const at = Date.parse(query.at!);
    const firstLater = events.findIndex((event) => Date.parse(event.metadata.occurredAt) > at);
    upTo = firstLater < 0 ? events : events.slice(0, firstLater);
    if (upTo.length === 0) throw new AppError('ORDER_NOT_YET_CREATED', 404, { orderId, at: query.at! });
  }
  const state = upTo.reduce((current, event) => evolve(current, { type: event.type, data: event.data } as PedidoEvent), initialPedidoState);
  return { state, revision: upTo[upTo.length - 1].revision };
}

function toHistoryItem(event: RecordedEvent) {
  return { revision: event.revision, type: event.type, occurredAt: event.metadata.occurredAt, recordedAt: event.recordedAt, data: event.data };
}
