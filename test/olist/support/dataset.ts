import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readCsv, type Dataset, type Row } from './reference';

/** Finds the Olist sample: OLIST_DATA_DIR, else `../shared/data/olist` beside the repository; undefined when absent. */
export function findOlistSample(): string | undefined {
  const candidates = [process.env.OLIST_DATA_DIR, path.resolve(process.cwd(), '../shared/data/olist'), '/work/shared/data/olist'];
  return candidates.find(
    (dir): dir is string => dir !== undefined && fs.existsSync(path.join(dir, 'olist_orders_dataset.csv')),
  );
}

const files = {
  orders: 'olist_orders_dataset.csv',
  items: 'olist_order_items_dataset.csv',
  payments: 'olist_order_payments_dataset.csv',
  customers: 'olist_customers_dataset.csv',
};

export interface Sample extends Dataset {
  dir: string;
  cleanup(): void;
}

/**
 * Loads the sample, or a deterministic part of it that keeps every order
 * that is not delivered, every delivered order without approval or payments
 * or with dates out of text order, and the delivered orders whose id starts
 * with 0 (about a sixteenth). The part is written as CSV files to a
 * temporary folder that the import reads like the real dataset.
 */
export function loadSample(sourceDir: string, whole: boolean): Sample {
  const orders = readCsv(path.join(sourceDir, files.orders));
  const items = readCsv(path.join(sourceDir, files.items));
  const payments = readCsv(path.join(sourceDir, files.payments));
  if (whole) return { dir: sourceDir, orders, items, payments, cleanup: () => undefined };

  const paidOrders = new Set(payments.map((payment) => payment.order_id));
  const keep = (order: Row) => {
    if (order.order_status !== 'delivered') return true;
    if (order.order_approved_at === '' || !paidOrders.has(order.order_id)) return true;
    const dates = [order.order_purchase_timestamp, order.order_approved_at, order.order_delivered_carrier_date, order.order_delivered_customer_date];
    if (dates.some((date, index) => index > 0 && date !== '' && date < dates[index - 1])) return true;
    return order.order_id.startsWith('0');
  };
  const keptOrders = orders.filter(keep);
  const ids = new Set(keptOrders.map((order) => order.order_id));
  const customerIds = new Set(keptOrders.map((order) => order.customer_id));
  const subset: Dataset = {
    orders: keptOrders,
    items: items.filter((item) => ids.has(item.order_id)),
    payments: payments.filter((payment) => ids.has(payment.order_id)),
  };

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'olist-subset-'));
  copyFiltered(path.join(sourceDir, files.orders), path.join(dir, files.orders), (row) => ids.has(row.order_id));
  copyFiltered(path.join(sourceDir, files.items), path.join(dir, files.items), (row) => ids.has(row.order_id));
  copyFiltered(path.join(sourceDir, files.payments), path.join(dir, files.payments), (row) => ids.has(row.order_id));
  copyFiltered(path.join(sourceDir, files.customers), path.join(dir, files.customers), (row) => customerIds.has(row.customer_id));
  return { dir, ...subset, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Copies the header and the lines whose row `keep` accepts, byte for byte. */
function copyFiltered(source: string, target: string, keep: (row: Row) => boolean): void {
  const lines = fs.readFileSync(source, 'utf8').split('\n');
  const header = lines[0].replace(/\r$/, '').split(',').map((name) => name.replaceAll('"', ''));
  const kept = lines.slice(1).filter((line) => {
    if (line.trim() === '') return false;
    // The key columns (order_id, customer_id) are never quoted with commas inside, so a plain split finds them.
    const cells = line.split(',').map((cell) => cell.replaceAll('"', ''));
    return keep(Object.fromEntries(header.map((name, index) => [name, cells[index] ?? ''])));
  });
  fs.writeFileSync(target, `${[lines[0], ...kept].join('\n')}\n`);
}
