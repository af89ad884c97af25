import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse';
import { OLIST_FILES, type OlistCustomerRow, type OlistItemRow, type OlistOrderRow, type OlistPaymentRow } from './rows';

/** A dataset file is missing or unreadable, or lacks a column the import needs. */
export class DatasetError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = 'DatasetError';
  }
}

const requiredColumns: Record<keyof typeof OLIST_FILES, string[]> = {
  orders: [
    'order_id',
    'customer_id',
    'order_status',
    'order_purchase_timestamp',
    'order_approved_at',
    'order_delivered_carrier_date',
    'order_delivered_customer_date',
  ],
  items: ['order_id', 'order_item_id', 'product_id', 'price', 'freight_value'],
  payments: ['order_id', 'payment_sequential', 'payment_type', 'payment_value'],
  customers: ['customer_id', 'customer_unique_id'],
};

/** Streams the rows of one CSV file as objects keyed by the header row; checks the header has `columns`. */
export async function* readCsvRows<T>(file: string, columns: readonly string[]): AsyncGenerator<T> {
  const parser = fs.createReadStream(file).pipe(
    parse({ columns: true, bom: true, skip_empty_lines: true, trim: true, relax_column_count: false }),
  );
  let checked = false;
  try {
    for await (const row of parser as AsyncIterable<Record<string, string>>) {
      if (!checked) {
        const missing = columns.filter((column) => !(column in row));
        if (missing.length > 0) {
          throw new DatasetError(`${file} lacks the column(s) ${missing.join(', ')}; is it an Olist dataset file?`, file);
        }
        checked = true;
      }
      yield row as T;
    }
  } catch (error) {
    if (error instanceof DatasetError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new DatasetError(`Could not read ${file}: ${message}`, file);
  } finally {
    parser.destroy();
  }
}

export interface DatasetFiles {
  orders: string;
  items: string;
  payments: string;
  /** Present when the customers file is there: it links each order's customer to one person. */
  customers?: string;
}

/** Finds the dataset files in `dir`; throws DatasetError naming the first required file that is missing. */
export function locateDataset(dir: string): DatasetFiles {
  const fileOf = (name: string) => path.join(dir, name);
  for (const key of ['orders', 'items', 'payments'] as const) {
    const file = fileOf(OLIST_FILES[key]);
    if (!fs.existsSync(file)) {
      throw new DatasetError(`${file} is missing; --dir must be the folder that holds the Olist CSV files`, file);
    }
  }
  const customers = fileOf(OLIST_FILES.customers);
  return {
    orders: fileOf(OLIST_FILES.orders),
    items: fileOf(OLIST_FILES.items),
    payments: fileOf(OLIST_FILES.payments),
    ...(fs.existsSync(customers) ? { customers } : {}),
  };
}

/** Item and payment rows grouped by order id, and each customer_id's customer_unique_id. */
export interface OrderDetails {
  items: Map<string, OlistItemRow[]>;
  payments: Map<string, OlistPaymentRow[]>;
  customers: Map<string, string>;
}

/**
 * Reads the items, payments and customers files into maps by order id. The
 * rows are not sorted by order in the published files, so they are indexed
 * once; the orders file itself is then streamed.
 */
export async function loadOrderDetails(files: DatasetFiles): Promise<OrderDetails> {
  const items = await groupByOrder<OlistItemRow>(files.items, requiredColumns.items);
  const payments = await groupByOrder<OlistPaymentRow>(files.payments, requiredColumns.payments);
  const customers = new Map<string, string>();
  if (files.customers) {
    for await (const row of readCsvRows<OlistCustomerRow>(files.customers, requiredColumns.customers)) {
      customers.set(row.customer_id, row.customer_unique_id);
    }
  }
  return { items, payments, customers };
}

async function groupByOrder<T extends { order_id: string }>(file: string, columns: string[]): Promise<Map<string, T[]>> {
  const groups = new Map<string, T[]>();
  for await (const row of readCsvRows<T>(file, columns)) {
    const group = groups.get(row.order_id);
    if (group) group.push(row);
    else groups.set(row.order_id, [row]);
  }
  return groups;
}

/** Streams the order rows, at most `limit` of them. */
export async function* readOrders(files: DatasetFiles, limit = Infinity): AsyncGenerator<OlistOrderRow> {
  let count = 0;
  if (count >= limit) return;
  for await (const row of readCsvRows<OlistOrderRow>(files.orders, requiredColumns.orders)) {
    yield row;
    count += 1;
    if (count >= limit) return;
  }
}

/** Counts the order rows (for the progress bar's total), at most `limit`. */
export async function countOrders(files: DatasetFiles, limit = Infinity): Promise<number> {
  let count = 0;
  for await (const row of readOrders(files, limit)) {
    if (row) count += 1;
  }
  return count;
}
