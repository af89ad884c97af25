import './messages';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { isPosition, type Position } from '../src/eventstore/port';
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

export interface QueryRouterDeps {
  /** Executor for the read-model tables (the service's database). */
  db: SqlExecutor;
  /** Read-your-writes: resolves true once the projections processed the position. */
  positions: { waitForPosition(position: Position, projections: readonly string[], timeoutMs: number): Promise<boolean> };
  readYourWritesTimeoutMs: number;
  /** Currency of the statistics when the request names none. */
  defaultCurrency: string;
  cache?: OrderCache;
}

const orderStatuses = ['pending', 'awaiting_payment', 'confirmed', 'preparing', 'shipped', 'delivered', 'cancelled'] as const;
const isoInstant = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);
const decimalAmount = z.string().regex(/^\d{1,15}(\.\d{1,4})?$/, 'a decimal amount such as 25.00');
const booleanText = z.enum(['true', 'false']).transform((text) => text === 'true');

const listQuerySchema = z.strictObject({
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
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR').optional(),
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

const statsQuerySchema = z.strictObject({
  from: localOrInstant,
  to: localOrInstant,
  groupBy: z.enum(['day', 'week', 'month']).default('day'),
  timeZone: z.string().min(1).max(64).default('UTC'),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR').optional(),
});

const orderIdSchema = z.string().min(1).max(200);

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
  if (!reached) {
    const retryAfter = String(Math.max(1, Math.ceil(deps.readYourWritesTimeoutMs / 1000)));
    throw new AppError('READ_MODEL_NOT_READY', 503, { position, projections: projections.join(', ') }, { 'Retry-After': retryAfter });
  }
  return true;
}

async function loadOrder(deps: QueryRouterDeps, orderId: string): Promise<StoredOrder> {
  const order = await findOrder(deps.db, orderId);
  if (!order) throw new AppError('ORDER_NOT_FOUND', 404, { orderId });
  return order;
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
  // The command router rebuilds the order from its stream as of a revision or a time.
  if (req.query.revision !== undefined || req.query.at !== undefined) return next();
  const orderId = parse(orderIdSchema, req.params.id, 'params');
  const waited = await awaitMinPosition(req, deps, ['orders']);

  // After a read-your-writes wait the cache is skipped: only the table is known to be recent enough.
  if (deps.cache && !waited) {
    const cached = await deps.cache.get(orderId);
    if (cached) {
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
  const orderId = parse(orderIdSchema, req.params.id, 'params');
  await awaitMinPosition(req, deps, ['orders']);
  const order = await loadOrder(deps, orderId);
  res.set('ETag', `"${order.revision}"`);
  res.status(200).json(renderPayments(order));
}

async function getPaymentStatus(req: Request, res: Response, deps: QueryRouterDeps): Promise<void> {
  const orderId = parse(orderIdSchema, req.params.id, 'params');
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
  return router;
}
