import type { MoneyData } from '../pedido/events';

/**
 * Ports to the other services. Every call may fail with
 * `ServiceUnavailableError` (down, timed out, circuit open) and takes an
 * optional AbortSignal; calls that change something take an idempotency key
 * that every retry of the same step reuses.
 */
export interface CallOptions {
  signal?: AbortSignal;
}

export interface ProductInfo {
  productId: string;
  name: string;
  unitPrice: MoneyData;
  /** Units in stock. */
  available: number;
}

export interface ProductCatalog {
  /** Returns the product, or undefined when ProductSvc does not know it. */
  getProduct(productId: string, options?: CallOptions): Promise<ProductInfo | undefined>;
  /** Reserves stock for an order; `reserved: false` names the lines that could not be reserved. */
  reserveStock(
    request: { orderId: string; lines: { productId: string; quantity: number }[]; idempotencyKey: string },
    options?: CallOptions,
  ): Promise<{ reserved: true; reservationId: string } | { reserved: false; reason: string }>;
  releaseStock(request: { orderId: string; reservationId: string; idempotencyKey: string }, options?: CallOptions): Promise<void>;
}

export interface CustomerInfo {
  customerId: string;
  active: boolean;
  name?: string;
  email?: string;
}

export interface CustomerDirectory {
  /** Returns the customer, or undefined when UserSvc does not know the id. */
  getCustomer(customerId: string, options?: CallOptions): Promise<CustomerInfo | undefined>;
}

export interface PaymentRequest {
  orderId: string;
  paymentId: string;
  amount: MoneyData;
  method: string;
  idempotencyKey: string;
}

export interface PaymentGateway {
  /** Asks PaymentSvc to charge; the outcome arrives later as PagoConfirmado or PagoRechazado. */
  requestPayment(request: PaymentRequest, options?: CallOptions): Promise<{ accepted: true } | { accepted: false; reason: string }>;
  requestRefund(
    request: { orderId: string; refundId: string; amount: MoneyData; idempotencyKey: string },
    options?: CallOptions,
  ): Promise<{ accepted: true } | { accepted: false; reason: string }>;
}

export interface ShippingRates {
  /** Shipping cost of an order with these lines, in the order's currency. */
  quote(request: { currency: string; lines: { productId: string; quantity: number }[] }, options?: CallOptions): Promise<MoneyData>;
}

/** A service that is down, timed out or behind an open circuit. */
export class ServiceUnavailableError extends Error {
  readonly code = 'SERVICE_UNAVAILABLE';
  constructor(
    readonly service: 'ProductSvc' | 'PaymentSvc' | 'UserSvc' | 'ShippingRates',
    message: string,
    /** Seconds after which a retry may succeed. */
    readonly retryAfterSeconds = 5,
  ) {
    super(message);
    this.name = 'ServiceUnavailableError';
  }
}
