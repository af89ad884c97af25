import { comparePositions, type Position } from '../../eventstore/port';
import type { PedidoEvent } from '../../pedido/events';
import { componentLogger, errorFields } from '../../infrastructure/logger';
import { anomalyReasons, type AnomalyReason } from './anomalies';
import { countOrders, loadOrderDetails, locateDataset, readOrders, type OrderDetails } from './dataset';
import { olistIds } from './ids';
import { mapOlistOrder, UnmappableOrderError, type MappedOrder } from './mapping';
import type { OlistOrderRow } from './rows';

const log = componentLogger('olist-import');

/**
 * Port of the command handling that the import uses. The application's
 * OrderCommandService fits it: every order goes through
 * `execute` with an `ImportarPedidoHistorico` command, never straight into tables.
 */
export interface HistoryImportTarget {
  execute(
    orderId: string,
    command: { type: 'ImportarPedidoHistorico'; facts: PedidoEvent[] },
    options?: { metadata?: { correlationId?: string; causationId?: string } },
  ): Promise<{ appended: readonly unknown[]; position?: Position | null; state?: unknown }>;
  load(orderId: string): Promise<unknown | undefined>;
}

export interface ImportOptions {
  /** Folder with the Olist CSV files. */
  dir: string;
  /** IANA zone of the dataset's zone-less timestamps. */
  timeZone: string;
  /** Import at most this many orders (the first ones of the orders file). */
  limit?: number;
  /** Orders in flight at once. */
  concurrency?: number;
  target: HistoryImportTarget;
  /** Clock for `detectedAt` and durations (tests pass a fixed one). */
  now?: () => Date;
  /** Called once the total is known, then after each order. */
  onProgress?: (progress: { done: number; total: number }) => void;
}

export interface FailedOrder {
  olistOrderId: string;
  /** Stable error code when the error has one, else the error's name. */
  code: string;
  message: string;
}

export interface ImportReport {
  ordersRead: number;
  imported: number;
  alreadyPresent: number;
  failed: FailedOrder[];
  /** Orders read that carry at least one anomaly. */
  flagged: number;
  /** Orders read per anomaly reason; every reason is listed, with 0 when absent. */
  flaggedByReason: Record<AnomalyReason, number>;
  eventsAppended: number;
  /** Log position of the last event this run appended (null when it appended nothing), to wait for read models. */
  lastPosition: Position | null;
  durationMs: number;
  ordersPerSec: number;
  eventsPerSec: number;
  timeZone: string;
}

export const DEFAULT_IMPORT_CONCURRENCY = 8;

/** Code of the domain error for an import into a stream that already has events. */
const ORDER_ALREADY_EXISTS = 'ORDER_ALREADY_EXISTS';

/** The dataset could not be read at all (as opposed to one order failing). */
export { DatasetError } from './dataset';

/**
 * Imports the Olist dataset in `dir`: streams the orders, maps each one to its
 * facts and sends them to the command handling, several orders at a time.
 * An order whose stream exists is counted as already present; an order that
 * fails is listed with its error and the import goes on.
 */
export async function importOlistDataset(options: ImportOptions): Promise<ImportReport> {
  const now = options.now ?? (() => new Date());
  const started = now();
  const detectedAt = started.toISOString();
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_IMPORT_CONCURRENCY);

  // 1. Index items, payments and customers; count the orders for the progress bar.
  const files = locateDataset(options.dir);
  const details = await loadOrderDetails(files);
  const total = await countOrders(files, options.limit);
  options.onProgress?.({ done: 0, total });

  // 2. Map and import the orders with at most `concurrency` in flight.
  const report = emptyReport(options.timeZone);
  const inFlight = new Set<Promise<void>>();
  for await (const row of readOrders(files, options.limit)) {
    report.ordersRead += 1;
    const task = importOne(row, details, options, detectedAt, report).finally(() => {
      inFlight.delete(task);
      options.onProgress?.({ done: report.imported + report.alreadyPresent + report.failed.length, total });
    });
    inFlight.add(task);
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);

  // 3. Rates over the whole run.
  report.durationMs = Math.max(1, now().getTime() - started.getTime());
  report.ordersPerSec = round2((report.imported * 1000) / report.durationMs);
  report.eventsPerSec = round2((report.eventsAppended * 1000) / report.durationMs);
  log.info('olist import finished', {
    ordersRead: report.ordersRead,
    imported: report.imported,
    alreadyPresent: report.alreadyPresent,
    failed: report.failed.length,
    eventsAppended: report.eventsAppended,
    durationMs: report.durationMs,
  });
  return report;
}

async function importOne(
  row: OlistOrderRow,
  details: OrderDetails,
  options: ImportOptions,
  detectedAt: string,
  report: ImportReport,
): Promise<void> {
  let mapped: MappedOrder;
  try {
    mapped = mapOlistOrder(row, details.items.get(row.order_id) ?? [], details.payments.get(row.order_id) ?? [], {
      timeZone: options.timeZone,
      detectedAt,
      customerIdOf: (customerId) => olistIds.customer(details.customers.get(customerId) ?? customerId),
    });
  } catch (error) {
    if (!(error instanceof UnmappableOrderError)) throw error;
    recordFailure(report, row.order_id, error.reason, error.message);
    return;
  }

  countAnomalies(report, mapped.anomalies);
  try {
    const outcome = await options.target.execute(
      mapped.orderId,
      { type: 'ImportarPedidoHistorico', facts: mapped.facts },
      { metadata: { correlationId: `olist:${mapped.olistOrderId}` } },
    );
    report.imported += 1;
    report.eventsAppended += outcome.appended.length;
    if (outcome.position && comparePositions(outcome.position, report.lastPosition) > 0) report.lastPosition = outcome.position;
  } catch (error) {
    // The command is allowed only on a new stream, so an order a previous run stored is rejected here.
    if ((error as { code?: unknown }).code === ORDER_ALREADY_EXISTS) {
      report.alreadyPresent += 1;
      return;
    }
    // Another import running at the same time may have stored the order after this one lost the race.
    if ((await options.target.load(mapped.orderId).catch(() => undefined)) !== undefined) {
      report.alreadyPresent += 1;
      return;
    }
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : String(error);
    log.warn('olist order import failed', { olistOrderId: mapped.olistOrderId, orderId: mapped.orderId, ...errorFields(error) });
    recordFailure(report, mapped.olistOrderId, typeof code === 'string' ? code : errorName(error), message);
  }
}

function recordFailure(report: ImportReport, olistOrderId: string, code: string, message: string): void {
  report.failed.push({ olistOrderId, code, message });
}

function countAnomalies(report: ImportReport, reasons: readonly AnomalyReason[]): void {
  if (reasons.length === 0) return;
  report.flagged += 1;
  for (const reason of reasons) report.flaggedByReason[reason] += 1;
}

function emptyReport(timeZone: string): ImportReport {
  return {
    ordersRead: 0,
    imported: 0,
    alreadyPresent: 0,
    failed: [],
    flagged: 0,
    flaggedByReason: Object.fromEntries(anomalyReasons.map((reason) => [reason, 0])) as Record<AnomalyReason, number>,
    eventsAppended: 0,
    lastPosition: null,
    durationMs: 0,
    ordersPerSec: 0,
    eventsPerSec: 0,
    timeZone,
  };
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
