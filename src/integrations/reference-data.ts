import type { SqlExecutor } from '../infrastructure/database';
import type { Migration } from '../infrastructure/migrations';
import type { MoneyData } from '../pedido/events';
import { moneyOfMinor, parseMoney, toMoneyData } from '../pedido/money';

/**
 * Local copies of ProductSvc and UserSvc data, kept current by their events
 * (`InventarioActualizado`, `ClienteActualizado`) and used by order
 * validation and by the in-process stand-ins.
 *
 * Every row carries `source_version`, the business time (`occurredAt`) of the
 * update that wrote it. An upsert applies only when its time is strictly newer,
 * so a late or redelivered old message never overwrites newer data. Rows seeded
 * from the sample catalog carry `-infinity`, so any real update wins.
 */
export const referenceDataMigrations: Migration[] = [
  {
    id: 'integrations/001-reference-data',
    sql: `
CREATE TABLE IF NOT EXISTS reference_products (
  product_id text PRIMARY KEY,
  name text,
  unit_price_minor bigint,
  currency text,
  available integer NOT NULL DEFAULT 0 CHECK (available >= 0),
  source_version timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS reference_customers (
  customer_id text PRIMARY KEY,
  active boolean NOT NULL DEFAULT true,
  name text,
  email text,
  source_version timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS stock_reservations (
  idempotency_key text PRIMARY KEY,
  reservation_id text NOT NULL UNIQUE,
  order_id text NOT NULL,
  status text NOT NULL CHECK (status IN ('reserved', 'rejected', 'released')),
  reason text,
  lines jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  released_at timestamptz
);
CREATE INDEX IF NOT EXISTS stock_reservations_order_idx ON stock_reservations (order_id);
`,
  },
];

export interface ProductUpdate {
  productId: string;
  /** Units in stock. */
  available: number;
  /** Amount as a decimal string (or a JSON number) in the currency's minor-unit digits. */
  unitPrice?: { amount: string | number; currency: string } | null;
  name?: string | null;
}

export interface CustomerUpdate {
  customerId: string;
  active?: boolean | null;
  name?: string | null;
  email?: string | null;
}

export interface ReferenceProduct {
  productId: string;
  name: string | null;
  unitPrice: MoneyData | null;
  available: number;
  /** ISO 8601 time of the update that wrote the row; null for a row seeded from the catalog file. */
  sourceVersion: string | null;
}

export interface ReferenceCustomer {
  customerId: string;
  active: boolean;
  name: string | null;
  email: string | null;
  sourceVersion: string | null;
}

/** A reference update whose values cannot be stored (negative stock, bad price). */
export class ReferenceDataError extends Error {
  readonly code = 'REFERENCE_DATA_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ReferenceDataError';
  }
}

/**
 * Inserts or updates a product's local data. Fields left undefined or null keep
 * their stored value. Returns false when a newer update is already stored.
 */
export async function upsertProduct(tx: SqlExecutor, update: ProductUpdate, occurredAt: string): Promise<boolean> {
  if (!Number.isSafeInteger(update.available) || update.available < 0) {
    throw new ReferenceDataError(`Product ${update.productId}: available must be a whole number of units >= 0, got ${update.available}`);
  }
  const price = update.unitPrice ? priceColumns(update.productId, update.unitPrice) : null;
  const result = await tx.query(
    `INSERT INTO reference_products AS p (product_id, name, unit_price_minor, currency, available, source_version)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (product_id) DO UPDATE SET
       name = COALESCE(EXCLUDED.name, p.name),
       unit_price_minor = CASE WHEN EXCLUDED.currency IS NULL THEN p.unit_price_minor ELSE EXCLUDED.unit_price_minor END,
       currency = COALESCE(EXCLUDED.currency, p.currency),
       available = EXCLUDED.available,
       source_version = EXCLUDED.source_version,
       updated_at = now()
     WHERE p.source_version < EXCLUDED.source_version`,
    [update.productId, update.name ?? null, price?.minor ?? null, price?.currency ?? null, update.available, occurredAt],
  );
  return result.rowCount > 0;
}

/**
 * Inserts or updates a customer's local data. Fields left undefined or null
 * keep their stored value. Returns false when a newer update is already stored.
 */
export async function upsertCustomer(tx: SqlExecutor, update: CustomerUpdate, occurredAt: string): Promise<boolean> {
  const result = await tx.query(
    `INSERT INTO reference_customers AS c (customer_id, active, name, email, source_version)
     VALUES ($1, COALESCE($2::boolean, true), $3, $4, $5)
     ON CONFLICT (customer_id) DO UPDATE SET
       active = COALESCE($2::boolean, c.active),
       name = COALESCE(EXCLUDED.name, c.name),
       email = COALESCE(EXCLUDED.email, c.email),
       source_version = EXCLUDED.source_version,
       updated_at = now()
     WHERE c.source_version < EXCLUDED.source_version`,
    [update.customerId, update.active ?? null, update.name ?? null, update.email ?? null, occurredAt],
  );
  return result.rowCount > 0;
}

interface ProductRow {
  product_id: string;
  name: string | null;
  unit_price_minor: string | number | null;
  currency: string | null;
  available: number;
  source_version: unknown;
}

export async function findProduct(db: SqlExecutor, productId: string): Promise<ReferenceProduct | undefined> {
  const { rows } = await db.query<ProductRow>(
    'SELECT product_id, name, unit_price_minor, currency, available, source_version FROM reference_products WHERE product_id = $1',
    [productId],
  );
  return rows[0] ? toProduct(rows[0]) : undefined;
}

export async function listProducts(db: SqlExecutor): Promise<ReferenceProduct[]> {
  const { rows } = await db.query<ProductRow>(
    'SELECT product_id, name, unit_price_minor, currency, available, source_version FROM reference_products ORDER BY product_id',
  );
  return rows.map(toProduct);
}

interface CustomerRow {
  customer_id: string;
  active: boolean;
  name: string | null;
  email: string | null;
  source_version: unknown;
}

export async function findCustomer(db: SqlExecutor, customerId: string): Promise<ReferenceCustomer | undefined> {
  const { rows } = await db.query<CustomerRow>(
    'SELECT customer_id, active, name, email, source_version FROM reference_customers WHERE customer_id = $1',
    [customerId],
  );
  const row = rows[0];
  if (!row) return undefined;
  return { customerId: row.customer_id, active: row.active, name: row.name, email: row.email, sourceVersion: versionOf(row.source_version) };
}

function priceColumns(productId: string, price: { amount: string | number; currency: string }): { minor: number; currency: string } {
  try {
    return parseMoney(price.amount, price.currency);
  } catch {
    throw new ReferenceDataError(
      `Product ${productId}: unit price ${JSON.stringify(price.amount)} ${price.currency} is not a valid amount in that currency`,
    );
  }
}

function toProduct(row: ProductRow): ReferenceProduct {
  const unitPrice = row.unit_price_minor !== null && row.currency !== null ? toMoneyData(moneyOfMinor(Number(row.unit_price_minor), row.currency)) : null;
  return {
    productId: row.product_id,
    name: row.name,
    unitPrice,
    available: Number(row.available),
    sourceVersion: versionOf(row.source_version),
  };
}

// Seeded rows store -infinity, which drivers return as an invalid Date, a number or a string.
function versionOf(value: unknown): string | null {
  let date: Date | undefined;
  if (value instanceof Date) date = value;
  else if (typeof value === 'string') date = new Date(value);
  return date && Number.isFinite(date.getTime()) ? date.toISOString() : null;
}
