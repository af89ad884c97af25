/**
 * Reasons an imported order is flagged. The order is imported with every fact
 * the dataset gives; a reason names what today's rules would not allow or what
 * the data lacks. The codes are stable: reports and read models group by them.
 */
export const anomalyReasons = [
  /** The status is not one of the dataset's documented statuses; the order is imported as pending. */
  'unknown_status',
  /** A timestamp column has a value that is not a valid `YYYY-MM-DD HH:MM:SS` time; it is treated as missing. */
  'invalid_timestamp',
  /** A price, freight or payment value is not a non-negative amount with at most two decimals; it counts as 0. */
  'invalid_amount',
  /** No purchase time: creation takes the earliest other time of the order. */
  'missing_purchase_time',
  /** The status shows the order was approved but there is no approval time, so no payment is recorded as received. */
  'missing_approval_time',
  /** Shipped or delivered without a carrier date. */
  'shipped_without_carrier_date',
  /** Delivered without a customer delivery date. */
  'delivered_without_delivery_date',
  /** Delivered although no payment was received (no payment rows, or never approved). */
  'delivered_without_payment',
  /** Cancelled (or unavailable) after it was handed to the carrier. */
  'cancelled_after_shipping',
  /** Cancelled (or unavailable) after it was delivered. */
  'cancelled_after_delivery',
  /** Purchase, approval, carrier and delivery times are not in that order. */
  'timestamps_out_of_order',
  /** The order has times of stages after the one its status names; those stages are not replayed. */
  'status_behind_dates',
  /** The order has no items. */
  'no_items',
  /** The order has no payments. */
  'no_payments',
  /** A payment of 0.00. */
  'zero_value_payment',
  /** Payment sequence numbers are not 1, 2, 3, … without gaps or repeats. */
  'payment_sequence_gap',
  /** The payments do not add up to items plus freight. */
  'payments_differ_from_total',
] as const;

export type AnomalyReason = (typeof anomalyReasons)[number];
