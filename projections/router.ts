import './messages';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { isPosition, type EventStore, type Position } from '../src/eventstore/port';
import { orderStreamId } from '../src/pedido/events';
import { emptyQuerySchema, orderParamsSchema, orderQuerySchema, uuidSchema } from '../src/api/schemas';
import type { SqlExecutor } from '../src/infrastructure/database';
import { AppError, ValidationError } from '../src/infrastructure/errors';
import { componentLogger, errorFields } from '../src/infrastructure/logger';
import type { OrderCache } from './cache';
import {
  decodeCursor,
  findOrder,
  listOrders,
  renderOrder,
  renderPaymentStatus,
  renderPayments,
  type StoredOrder,
} from './orders/queries';
import { queryStatistics } from './statistics/queries';

const log = componentLogger('queries');

export const paymentParamsSchema = z.strictObject({ id: uuidSchema, paymentId: uuidSchema });

export interface QueryRouterDeps {
  /** Executor for the read-model tables (the service's database). */
  db: SqlExecutor;
  /** Read-your-writes: resolves true once the projections processed the position. */
  positions: { waitForPosition(position: Position, projections: readonly string[], timeoutMs: number): Promise<boolean> };
  readYourWritesTimeoutMs: number;
  /** Currency of the statistics when the request names none. */
  defaultCurrency: string;
  cache?: OrderCache;
  /**
   * The event store, so that a single-order read never returns a revision
   * older than the order's stream: a lagging read model is waited for.
   */
  eventStore?: Pick<EventStore, 'readStreamTail'>;
}

const orderStatuses = ['pending', 'awaiting_payment', 'confirmed', 'preparing', 'shipped', 'delivered', 'cancelled'] as const;
const isoInstant = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);
const decimalAmount = z.string().regex(/^\d{1,15}(\.\d{1,4})?$/, 'amount_format');
const booleanText = z.enum(['true', 'false']).transform((text) => text === 'true');

export const listQuerySchema = z.strictObject({
  customerId: z.string().min(1).max(200).optional(),
  status: z
    .string()
    .transform((text) => text.split(',').map((part) => part.trim()))
    .pipe(z.array(z.enum(orderStatuses)).min(1))
    .optional(),
  createdFrom: isoInstant.optional(),
  createdTo: isoInstant.optional(),
  minTotal: decimalAmount.optional(),
  maxTotal: decimalAmount.optional(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'currency_code').optional(),
  hasAnomalies: booleanText.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).max(500).optional(),
});

// Bounds may carry an offset (an instant) or not (a date or wall time in timeZone).
const localOrInstant = z.union([
  z.iso.datetime({ offset: true }),
  z.iso.datetime({ local: true }),
  z.iso.date(),
]);

export const statsQuerySchema = z.strictObject({
  from: localOrInstant,
  to: localOrInstant,
  groupBy: z.enum(['day', 'week', 'month']).default('day'),
  timeZone: z.string().min(1).max(64).default('UTC'),
  currency: z.string().regex(/^[A-Z]{3}$/, 'currency_code').optional(),
});


// The series lists every period of the range; longer ranges must use a coarser groupBy.
const MAX_SERIES_PERIODS = 3_700;
const approximatePeriodMs = { day: 86_400_000, week: 7 * 86_400_000, month: 28 * 86_400_000 };

function parse<S extends z.ZodType>(schema: S, input: unknown, location: 'query' | 'params'): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw ValidationError.fromZod(result.error, location);
  return result.data;
}

function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Read-your-writes: with `X-Min-Event-Position`, waits (bounded) until the
 * projections the route reads have processed that position, else 503.
 */
async function awaitMinPosition(req: Request, deps: QueryRouterDeps, projections: readonly string[]): Promise<boolean> {
  const header = req.get('X-Min-Event-Position');
  if (header === undefined) return false;
  const position = header.trim();
  if (!isPosition(position)) throw new AppError('EVENT_POSITION_INVALID', 400, { position: header.slice(0, 64) });
  const reached = await deps.positions.waitForPosition(position, projections, deps.readYourWritesTimeoutMs);
  if (!reached) throw readModelNotReady(deps, position, projections);
  return true;
}

function readModelNotReady(deps: QueryRouterDeps, position: Position, projections: readonly string[]): AppError {
  const retryAfter = String(Math.max(1, Math.ceil(deps.readYourWritesTimeoutMs / 1000)));
  return new AppError('READ_MODEL_NOT_READY', 503, { position, projections: projections.join(', ') }, { 'Retry-After': retryAfter });
}

/**
 * Loads an order from the read model, never older than its stream: when the
 * stream has events the projection has not applied yet (an order just created
 * or changed), waits for them, bounded like read-your-writes. Without an event
 * store in the deps the read model is returned as it is.
 */
async function loadOrder(deps: QueryRouterDeps, orderId: string): Promise<StoredOrder> {
  const order = await findOrder(deps.db, orderId);
  const latest = await latestEvent(deps, orderId);
  if (latest && (!order || order.revision < latest.revision)) {
    const reached = await deps.positions.waitForPosition(latest.position, ['orders'], deps.readYourWritesTimeoutMs);
    if (!reached) throw readModelNotReady(deps, latest.position, ['orders']);
    return loadProjected(deps, orderId);
  }
  if (!order) throw new AppError('ORDER_NOT_FOUND', 404, { orderId });
  return order;
}

async function loadProjected(deps: QueryRouterDeps, orderId: string): Promise<StoredOrder> {
  const order = await findOrder(deps.db, orderId);
  if (!order) throw new AppError('ORDER_NOT_FOUND', 404, { orderId });
  return order;
}

async function latestEvent(deps: QueryRouterDeps, orderId: string): Promise<{ revision: number; position: Position } | undefined> {
  if (!deps.eventStore) return undefined;
  const [last] = await deps.eventStore.readStreamTail(orderStreamId(orderId), 1);
  return last;
}

function sendOrderBody(req: Request, res: Response, revision: number, body: string): void {
  const etag = `"${revision}"`;
  res.set('ETag', etag);
  res.set('Cache-Control', 'no-cache');
  const ifNoneMatch = req.get('If-None-Match');
  if (ifNoneMatch && ifNoneMatch.split(',').some((tag) => tag.trim() === etag || tag.trim() === `W/${etag}`)) {
    res.status(304).end();
    return;
  }
  res.status(200).type('application/json').send(body);
}

/** GET /api/orders/:id from the read model, through the cache when there is one. */
async function getOrder(req: Request, res: Response, next: NextFunction, deps: QueryRouterDeps): Promise<void> {
  const orderId = parse(orderParamsSchema, req.params, 'params').id;
  const query = parse(orderQuerySchema, req.query, 'query');
  // The command router rebuilds the order from its stream as of a revision or a time.
  if (query.revision !== undefined || query.at !== undefined) return next();
  const waited = await awaitMinPosition(req, deps, ['orders']);

  // After a read-your-writes wait the cache is skipped: only the table is known to be recent enough.
  // A cached order older than its stream is skipped too.
  if (deps.cache && !waited) {
    const cached = await deps.cache.get(orderId);
    const latest = cached ? await latestEvent(deps, orderId) : undefined;
    if (cached && (!latest || cached.revision >= latest.revision)) {
      res.set('X-Cache', 'hit');
      return sendOrderBody(req, res, cached.revision, cached.body);
    }
  }
  const order = await loadOrder(deps, orderId);
  const body = JSON.stringify(renderOrder(order));
  if (deps.cache) {
    res.set('X-Cache', 'miss');
    await deps.cache.put(orderId, order.revision, body);
  }
  sendOrderBody(req, res, order.revision, body);
}

async function getOrderList(req: Request, res: Response, deps: QueryRouterDeps): Promise<void> {
  const query = parse(listQuerySchema, req.query, 'query');
  const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  if (query.cursor !== undefined && cursor === undefined) throw new AppError('CURSOR_INVALID', 400, {});
  await awaitMinPosition(req, deps, ['orders']);
  const page = await listOrders(deps.db, {
    customerId: query.customerId,
    statuses: query.status,
    createdFrom: query.createdFrom,
    createdTo: query.createdTo,
    minTotal: query.minTotal,
    maxTotal: query.maxTotal,
    currency: query.currency,
    hasAnomalies: query.hasAnomalies,
    limit: query.limit,
    cursor,
  });
  res.status(200).json(page);
}

async function getStatistics(req: Request, res: Response, deps: QueryRouterDeps): Promise<void> {
  const query = parse(statsQuerySchema, req.query, 'query');
  if (!isValidTimeZone(query.timeZone)) throw new AppError('TIME_ZONE_INVALID', 400, { timeZone: query.timeZone });
  const span = Date.parse(query.to) - Date.parse(query.from);
  if (!(span > 0)) throw new AppError('STATS_RANGE_INVALID', 400, { from: query.from, to: query.to });
  const periods = Math.ceil(span / approximatePeriodMs[query.groupBy]);
  if (periods > MAX_SERIES_PERIODS) {
    throw new AppError('STATS_RANGE_TOO_LARGE', 400, { periods, maximum: MAX_SERIES_PERIODS, groupBy: query.groupBy });
  }
  await awaitMinPosition(req, deps, ['statistics']);
  try {
    const stats = await queryStatistics(deps.db, { ...query, currency: query.currency ?? deps.defaultCurrency });
    res.status(200).json(stats);
  } catch (error) {
    // PostgreSQL accepts fewer zone names than Intl in rare cases (invalid_parameter_value).
    if ((error as { code?: string }).code === '22023') {
      log.warn('time zone rejected by the database', { timeZone: query.timeZone, ...errorFields(error) });
      throw new AppError('TIME_ZONE_INVALID', 400, { timeZone: query.timeZone });
    }
    throw error;
  }
}

async function getPayments(req: Request, res: Response, deps: QueryRouterDeps): Promise<void> {
  const orderId = parse(orderParamsSchema, req.params, 'params').id;
  parse(emptyQuerySchema, req.query, 'query');
  await awaitMinPosition(req, deps, ['orders']);
  const order = await loadOrder(deps, orderId);
  res.set('ETag', `"${order.revision}"`);
  res.status(200).json(renderPayments(order));
}

/** GET /api/orders/:id/payments/:paymentId: the payment a 202 `Location` points to. */
async function getPayment(req: Request, res: Response, deps: QueryRouterDeps): Promise<void> {
  const { id: orderId, paymentId } = parse(paymentParamsSchema, req.params, 'params');
  parse(emptyQuerySchema, req.query, 'query');
  await awaitMinPosition(req, deps, ['orders']);
  const order = await loadOrder(deps, orderId);
  const payment = renderPayments(order).items.find((item) => item.paymentId === paymentId);
  if (!payment) throw new AppError('PAYMENT_NOT_FOUND', 404, { orderId, paymentId });
  res.set('ETag', `"${order.revision}"`);
  res.status(200).json(payment);
}

async function getPaymentStatus(req: Request, res: Response, deps: QueryRouterDeps): Promise<void> {
  const orderId = parse(orderParamsSchema, req.params, 'params').id;
  parse(emptyQuerySchema, req.query, 'query');
  await awaitMinPosition(req, deps, ['orders']);
  const order = await loadOrder(deps, orderId);
  res.set('ETag', `"${order.revision}"`);
  res.status(200).json(renderPaymentStatus(order));
}

/**
 * Creates the query routes (ObtenerPedidoPorId, the order list, statistics,
 * payments and VerificarEstadoPago), served from the read models. Mount it
 * before the command router, because it passes `GET /api/orders/:id?revision|at` on.
 */
export function createQueryRouter(deps: QueryRouterDeps): Router {
  const router = Router();
  router.get('/api/orders', (req, res) => getOrderList(req, res, deps));
  router.get('/api/orders/stats', (req, res) => getStatistics(req, res, deps));
  router.get('/api/orders/:id', (req, res, next) => getOrder(req, res, next, deps));
  router.get('/api/orders/:id/payments', (req, res) => getPayments(req, res, deps));
  router.get('/api/orders/:id/payments/status', (req, res) => getPaymentStatus(req, res, deps));
  router.get('/api/orders/:id/payments/:paymentId', (req, res) => getPayment(req, res, deps));
  return router;
}
