import { randomUUID } from 'node:crypto';
import type { PedidoEvent } from '../../src/pedido/events';

/** Deterministic pseudo-random numbers (mulberry32), so runs generate the same orders. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const methods = ['card', 'card', 'card', 'paypal', 'transfer', 'bizum'];

function money(minor: number): { amount: string; currency: string } {
  return { amount: (minor / 100).toFixed(2), currency: 'EUR' };
}

/**
 * Generates the life of one realistic order as a list of commands, each the
 * events one command appends. An order is created with lines, may get a
 * quantity change and a discount, then shipping cost, payment (sometimes
 * rejected first), confirmation, reservation, shipping and delivery. About 8%
 * are cancelled on the way. The average is about 11 events per order.
 */
export function orderLifecycle(random: () => number, createdAtMs: number): { orderId: string; commands: PedidoEvent[][] } {
  const orderId = randomUUID();
  let clock = createdAtMs;
  const at = (minutes: number) => {
    clock += minutes * 60_000;
    return new Date(clock).toISOString();
  };
  const commands: PedidoEvent[][] = [];
  const lineCount = 1 + Math.floor(random() * 4);
  const lines = Array.from({ length: lineCount }, (_, index) => ({
    itemId: randomUUID(),
    productId: `product-${Math.floor(random() * 500)}`,
    quantity: 1 + Math.floor(random() * 3),
    priceMinor: 199 + Math.floor(random() * 9_800),
    index,
  }));
  const createdAt = at(0);
  commands.push([
    {
      type: 'PedidoCreado',
      data: { orderId, customerId: `customer-${Math.floor(random() * 5_000)}`, currency: 'EUR', shippingAddress: null, notes: null, createdAt },
    },
    {
      type: 'ProductoAgregado',
      data: { itemId: lines[0].itemId, productId: lines[0].productId, quantity: lines[0].quantity, unitPrice: money(lines[0].priceMinor), addedAt: createdAt },
    },
  ]);
  for (const line of lines.slice(1)) {
    commands.push([
      { type: 'ProductoAgregado', data: { itemId: line.itemId, productId: line.productId, quantity: line.quantity, unitPrice: money(line.priceMinor), addedAt: at(2) } },
    ]);
  }
  if (random() < 0.3) {
    const line = lines[0];
    commands.push([
      { type: 'CantidadModificada', data: { itemId: line.itemId, productId: line.productId, previousQuantity: line.quantity, quantity: line.quantity + 1, changedAt: at(1) } },
    ]);
    line.quantity += 1;
  }
  const subtotal = lines.reduce((sum, line) => sum + line.quantity * line.priceMinor, 0);
  let discount = 0;
  if (random() < 0.25) {
    commands.push([{ type: 'DescuentoAplicado', data: { code: 'WELCOME10', percentOff: '10', amountOff: null, appliedAt: at(1) } }]);
    discount = Math.round(subtotal / 10); // Close enough for generated payments; the projections compute the exact total.
  }
  const shipping = subtotal > 5_000 ? 0 : 490;
  commands.push([{ type: 'CostoEnvioActualizado', data: { shippingTotal: money(shipping), updatedAt: at(1) } }]);
  if (random() < 0.04) {
    commands.push([{ type: 'PedidoCancelado', data: { reason: 'changed my mind', cancelledAt: at(30), refundDue: money(0) } }]);
    return { orderId, commands };
  }

  const total = subtotal - discount + shipping;
  const method = methods[Math.floor(random() * methods.length)];
  if (random() < 0.1) {
    const rejectedId = randomUUID();
    commands.push([{ type: 'PagoSolicitado', data: { paymentId: rejectedId, method, amount: money(total), requestedAt: at(3) } }]);
    commands.push([{ type: 'PagoRechazado', data: { paymentId: rejectedId, reason: 'card declined', rejectedAt: at(1) } }]);
  }
  const paymentId = randomUUID();
  commands.push([{ type: 'PagoSolicitado', data: { paymentId, method, amount: money(total), requestedAt: at(3) } }]);
  const paidAt = at(1 + random() * 30);
  commands.push([
    { type: 'PagoRecibido', data: { paymentId, method, amount: money(total), receivedAt: paidAt } },
    { type: 'PedidoConfirmado', data: { orderNumber: `ORD-${orderId.slice(0, 8)}`, total: money(total), confirmedAt: paidAt } },
  ]);
  commands.push([{ type: 'InventarioReservado', data: { reservationId: randomUUID(), reservedAt: at(60 + random() * 600) } }]);
  if (random() < 0.04) {
    commands.push([{ type: 'PedidoCancelado', data: { reason: 'out of stock', cancelledAt: at(120), refundDue: money(total) } }]);
    return { orderId, commands };
  }
  commands.push([{ type: 'PedidoEnviado', data: { carrier: 'SEUR', trackingNumber: `TRK${Math.floor(random() * 1e9)}`, shippedAt: at(600 + random() * 2_000) } }]);
  commands.push([{ type: 'PedidoEntregado', data: { deliveredAt: at(1_000 + random() * 4_000) } }]);
  return { orderId, commands };
}
