import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatasetError } from '../../src/import/olist/dataset';
import { importOlistDataset, type HistoryImportTarget } from '../../src/import/olist/importer';
import { olistIds } from '../../src/import/olist/ids';
import { DomainError } from '../../src/pedido/errors';
import { checkImportedHistory } from '../../src/pedido/import';
import type { PedidoEvent } from '../../src/pedido/events';

/** A command target that keeps streams in memory and applies the domain's own import check. */
class InMemoryTarget implements HistoryImportTarget {
  readonly streams = new Map<string, PedidoEvent[]>();

  async execute(orderId: string, command: { type: 'ImportarPedidoHistorico'; facts: PedidoEvent[] }) {
    if (this.streams.has(orderId)) throw new DomainError('ORDER_ALREADY_EXISTS');
    const state = checkImportedHistory(command.facts);
    this.streams.set(orderId, command.facts);
    return { appended: command.facts, state };
  }

  async load(orderId: string) {
    return this.streams.get(orderId);
  }
}

const header = {
  orders:
    'order_id,customer_id,order_status,order_purchase_timestamp,order_approved_at,order_delivered_carrier_date,order_delivered_customer_date,order_estimated_delivery_date',
  items: 'order_id,order_item_id,product_id,seller_id,shipping_limit_date,price,freight_value',
  payments: 'order_id,payment_sequential,payment_type,payment_installments,payment_value',
  customers: 'customer_id,customer_unique_id,customer_zip_code_prefix,customer_city,customer_state',
};

function writeDataset(files: Record<string, string[]>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'olist-unit-'));
  const names: Record<string, string> = {
    orders: 'olist_orders_dataset.csv',
    items: 'olist_order_items_dataset.csv',
    payments: 'olist_order_payments_dataset.csv',
    customers: 'olist_customers_dataset.csv',
  };
  for (const [key, lines] of Object.entries(files)) fs.writeFileSync(path.join(dir, names[key]), `${lines.join('\n')}\n`);
  return dir;
}

describe('importOlistDataset', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

  const dataset = () => {
    const dir = writeDataset({
      orders: [
        header.orders,
        'a1,c1,delivered,2017-05-01 10:00:00,2017-05-01 11:00:00,2017-05-02 09:00:00,2017-05-06 12:00:00,2017-05-20 00:00:00',
        'a2,c2,canceled,2017-05-03 10:00:00,,2017-05-04 09:00:00,,2017-05-20 00:00:00',
        'a3,c3,delivered,,,,,2017-05-20 00:00:00',
      ],
      items: [header.items, 'a1,1,p1,s1,2017-05-05 00:00:00,10.00,1.50', 'a1,2,p1,s1,2017-05-05 00:00:00,10.00,1.50', 'a2,1,p2,s1,2017-05-05 00:00:00,5.00,0.00'],
      payments: [header.payments, 'a1,1,credit_card,2,23.00', 'a2,1,boleto,1,5.00'],
      customers: [header.customers, 'c1,person-1,01000,sao paulo,SP', 'c2,person-1,01000,sao paulo,SP'],
    });
    dirs.push(dir);
    return dir;
  };

  it('imports, flags and lists failures', async () => {
    const target = new InMemoryTarget();
    const progress: number[] = [];
    const report = await importOlistDataset({ dir: dataset(), timeZone: 'America/Sao_Paulo', target, onProgress: ({ done }) => progress.push(done) });

    expect(report.ordersRead).toBe(3);
    expect(report.imported).toBe(2);
    expect(report.failed).toEqual([expect.objectContaining({ olistOrderId: 'a3', code: 'no_timestamps' })]);
    expect(report.flagged).toBe(1);
    expect(report.flaggedByReason.cancelled_after_shipping).toBe(1);
    expect(report.eventsAppended).toBe([...target.streams.values()].reduce((sum, facts) => sum + facts.length, 0));
    expect(progress[0]).toBe(0);
    expect(progress.at(-1)).toBe(3);
  });

  it('links orders of one person to one customer', async () => {
    const target = new InMemoryTarget();
    await importOlistDataset({ dir: dataset(), timeZone: 'UTC', target });
    const customerOf = (id: string) => (target.streams.get(olistIds.order(id))?.[0] as Extract<PedidoEvent, { type: 'PedidoCreado' }>).data.customerId;
    expect(customerOf('a1')).toBe(olistIds.customer('person-1'));
    expect(customerOf('a2')).toBe(customerOf('a1'));
  });

  it('adds nothing the second time', async () => {
    const target = new InMemoryTarget();
    const dir = dataset();
    await importOlistDataset({ dir, timeZone: 'UTC', target });
    const second = await importOlistDataset({ dir, timeZone: 'UTC', target });
    expect(second.imported).toBe(0);
    expect(second.alreadyPresent).toBe(2);
    expect(second.eventsAppended).toBe(0);
  });

  it('stops at the limit', async () => {
    const report = await importOlistDataset({ dir: dataset(), timeZone: 'UTC', target: new InMemoryTarget(), limit: 1 });
    expect(report.ordersRead).toBe(1);
    expect(report.imported).toBe(1);
  });

  it('rejects a folder without the files', async () => {
    const dir = writeDataset({ orders: [header.orders] });
    dirs.push(dir);
    await expect(importOlistDataset({ dir, timeZone: 'UTC', target: new InMemoryTarget() })).rejects.toThrow(DatasetError);
  });

  it('rejects a file without the columns', async () => {
    const dir = writeDataset({ orders: ['order_id,status', 'a1,delivered'], items: [header.items], payments: [header.payments] });
    dirs.push(dir);
    await expect(importOlistDataset({ dir, timeZone: 'UTC', target: new InMemoryTarget() })).rejects.toThrow(/lacks the column\(s\) customer_id/);
  });
});
