/**
 * Idempotency key of an order's stock reservation with ProductSvc. The
 * process manager and `PUT /api/orders/{id}/status` (preparing) both reserve
 * with it, so the two paths can never reserve the same order twice.
 */
export function stockReservationKey(orderId: string): string {
  return `reserve-${orderId}`;
}
