/** Rows of the Olist CSV files, as csv-parse returns them (every value a string, empty when missing). */
export interface OlistOrderRow {
  order_id: string;
  customer_id: string;
  order_status: string;
  order_purchase_timestamp: string;
  order_approved_at: string;
  order_delivered_carrier_date: string;
  order_delivered_customer_date: string;
  order_estimated_delivery_date?: string;
}

export interface OlistItemRow {
  order_id: string;
  order_item_id: string;
  product_id: string;
  seller_id?: string;
  shipping_limit_date?: string;
  price: string;
  freight_value: string;
}

export interface OlistPaymentRow {
  order_id: string;
  payment_sequential: string;
  payment_type: string;
  payment_installments?: string;
  payment_value: string;
}

export interface OlistCustomerRow {
  customer_id: string;
  customer_unique_id: string;
}

export const OLIST_FILES = {
  orders: 'olist_orders_dataset.csv',
  items: 'olist_order_items_dataset.csv',
  payments: 'olist_order_payments_dataset.csv',
  customers: 'olist_customers_dataset.csv',
} as const;
