import { randomUUID } from 'node:crypto';
import type { SqlDatabase, SqlExecutor } from '../../infrastructure/database';
import { componentLogger } from '../../infrastructure/logger';
import type { CallOptions, ProductCatalog, ProductInfo } from '../ports';
import { findProduct } from '../reference-data';

const log = componentLogger('standin-product-catalog');

type ReserveRequest = Parameters<ProductCatalog['reserveStock']>[0];
type ReserveResult = Awaited<ReturnType<ProductCatalog['reserveStock']>>;
type ReleaseRequest = Parameters<ProductCatalog['releaseStock']>[0];

interface ReservationRow {
  reservation_id: string;
  status: 'reserved' | 'rejected' | 'released';
  reason: string | null;
  lines: { productId: string; quantity: number }[] | string;
}

/**
 * ProductSvc stand-in backed by `reference_products`: prices and stock come
 * from the catalog file and from `InventarioActualizado` events. Reservations
 * decrement `available` in one transaction and are recorded in
 * `stock_reservations` under their idempotency key, so a repeated request
 * returns the first outcome and takes stock only once.
 */
export class StandinProductCatalog implements ProductCatalog {
  constructor(private readonly db: SqlDatabase) {}

  async getProduct(productId: string, _options?: CallOptions): Promise<ProductInfo | undefined> {
    const product = await findProduct(this.db, productId);
    // A product known only from a stock update has no price yet, so it cannot be ordered.
    if (!product || !product.unitPrice) return undefined;
    return { productId: product.productId, name: product.name ?? product.productId, unitPrice: product.unitPrice, available: product.available };
  }

  async reserveStock(request: ReserveRequest, _options?: CallOptions): Promise<ReserveResult> {
    return this.db.transaction(async (tx) => {
      // 1. Claim the key; a concurrent request with the same key waits here for the first to commit.
      const reservationId = randomUUID();
      const claimed = await tx.query(
        `INSERT INTO stock_reservations (idempotency_key, reservation_id, order_id, status, lines)
         VALUES ($1, $2, $3, 'reserved', $4::jsonb) ON CONFLICT (idempotency_key) DO NOTHING`,
        [request.idempotencyKey, reservationId, request.orderId, JSON.stringify(request.lines)],
      );
      if (claimed.rowCount === 0) return this.previousOutcome(tx, request.idempotencyKey);

      // 2. Lock the products in a fixed order and check every line before taking anything.
      const requested = totalsByProduct(request.lines);
      const shortage = await this.findShortage(tx, requested);
      if (shortage) {
        await tx.query(`UPDATE stock_reservations SET status = 'rejected', reason = $2 WHERE idempotency_key = $1`, [
          request.idempotencyKey,
          shortage,
        ]);
        log.info('stock reservation rejected', { orderId: request.orderId, reason: shortage });
        return { reserved: false as const, reason: shortage };
      }

      // 3. Take the stock.
      for (const [productId, quantity] of requested) {
        await tx.query('UPDATE reference_products SET available = available - $2, updated_at = now() WHERE product_id = $1', [
          productId,
          quantity,
        ]);
      }
      log.info('stock reserved', { orderId: request.orderId, reservationId, lines: requested.size });
      return { reserved: true as const, reservationId };
    });
  }

  async releaseStock(request: ReleaseRequest, _options?: CallOptions): Promise<void> {
    await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<ReservationRow>(
        `UPDATE stock_reservations SET status = 'released', released_at = now()
         WHERE reservation_id = $1 AND status = 'reserved'
         RETURNING reservation_id, status, reason, lines`,
        [request.reservationId],
      );
      // Unknown, rejected or already released: nothing to give back, so a repeat is harmless.
      if (rows.length === 0) return;
      for (const [productId, quantity] of totalsByProduct(linesOf(rows[0]))) {
        await tx.query('UPDATE reference_products SET available = available + $2, updated_at = now() WHERE product_id = $1', [
          productId,
          quantity,
        ]);
      }
      log.info('stock released', { orderId: request.orderId, reservationId: request.reservationId });
    });
  }

  private async previousOutcome(tx: SqlExecutor, idempotencyKey: string): Promise<ReserveResult> {
    const { rows } = await tx.query<ReservationRow>(
      'SELECT reservation_id, status, reason, lines FROM stock_reservations WHERE idempotency_key = $1',
      [idempotencyKey],
    );
    const row = rows[0];
    if (row.status === 'rejected') return { reserved: false, reason: row.reason ?? 'insufficient stock' };
    return { reserved: true, reservationId: row.reservation_id };
  }

  /** Locks the products and returns why the lines cannot be reserved, or undefined when they can. */
  private async findShortage(tx: SqlExecutor, requested: Map<string, number>): Promise<string | undefined> {
    const ids = [...requested.keys()].sort();
    const { rows } = await tx.query<{ product_id: string; available: number }>(
      'SELECT product_id, available FROM reference_products WHERE product_id = ANY($1::text[]) ORDER BY product_id FOR UPDATE',
      [ids],
    );
    const stock = new Map(rows.map((row) => [row.product_id, Number(row.available)]));
    const problems: string[] = [];
    for (const productId of ids) {
      const available = stock.get(productId);
      const quantity = requested.get(productId) ?? 0;
      if (available === undefined) problems.push(`${productId}: unknown product`);
      else if (available < quantity) problems.push(`${productId}: ${quantity} requested, ${available} available`);
    }
    return problems.length > 0 ? `insufficient stock (${problems.join('; ')})` : undefined;
  }
}

function totalsByProduct(lines: readonly { productId: string; quantity: number }[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const line of lines) totals.set(line.productId, (totals.get(line.productId) ?? 0) + line.quantity);
  return totals;
}

function linesOf(row: ReservationRow): { productId: string; quantity: number }[] {
  return typeof row.lines === 'string' ? JSON.parse(row.lines) : row.lines;
}
