import { z } from 'zod';
import type { MoneyData } from '../../pedido/events';
import type {
  CallOptions,
  CustomerDirectory,
  CustomerInfo,
  PaymentGateway,
  PaymentRequest,
  ProductCatalog,
  ProductInfo,
} from '../ports';
import { ClientHttpError, type ServiceResponse, type ServiceClient } from './service-client';

/*
 * HTTP adapters of the ports. docs/integrations.md documents the calls, their
 * bodies and the expected responses. The zod schemas below are those
 * responses, and a response that does not match counts as a failure of the
 * service.
 */

const moneySchema = z.object({
  amount: z.union([z.string(), z.number()]).transform(String),
  currency: z.string().regex(/^[A-Z]{3}$/),
});

const productSchema = z.object({
  productId: z.string().min(1),
  name: z.string(),
  unitPrice: moneySchema,
  available: z.number().int().min(0),
});

const reservationSchema = z.object({ reservationId: z.string().min(1) });
const refusalSchema = z.object({ reason: z.string().min(1) }).partial().passthrough();

const customerSchema = z.object({
  customerId: z.string().min(1),
  active: z.boolean(),
  name: z.string().nullish(),
  email: z.string().nullish(),
});

type ReserveRequest = Parameters<ProductCatalog['reserveStock']>[0];
type ReserveResult = Awaited<ReturnType<ProductCatalog['reserveStock']>>;
type ReleaseRequest = Parameters<ProductCatalog['releaseStock']>[0];
type RefundRequest = Parameters<PaymentGateway['requestRefund']>[0];
type Acceptance = { accepted: true } | { accepted: false; reason: string };

/** ProductSvc (`PRODUCT_SERVICE_URL`): product data, stock reservations and their release. */
export class HttpProductCatalog implements ProductCatalog {
  constructor(private readonly client: ServiceClient) {}

  async getProduct(productId: string, options?: CallOptions): Promise<ProductInfo | undefined> {
    try {
      return await this.client.request(
        { operation: 'getProduct', method: 'GET', path: `products/${encodeURIComponent(productId)}`, signal: options?.signal },
        (answer) => productSchema.parse(answer.body),
      );
    } catch (error) {
      if (error instanceof ClientHttpError && error.httpStatus === 404) return undefined;
      throw error;
    }
  }

  async reserveStock(request: ReserveRequest, options?: CallOptions): Promise<ReserveResult> {
    try {
      const answer = await this.client.request(
        {
          operation: 'reserveStock',
          method: 'POST',
          path: 'reservations',
          body: { orderId: request.orderId, lines: request.lines },
          idempotencyKey: request.idempotencyKey,
          signal: options?.signal,
        },
        (reply) => reservationSchema.parse(reply.body),
      );
      return { reserved: true, reservationId: answer.reservationId };
    } catch (error) {
      if (error instanceof ClientHttpError && (error.httpStatus === 409 || error.httpStatus === 422)) {
        return { reserved: false, reason: reasonOf(error, 'insufficient stock') };
      }
      throw error;
    }
  }

  async releaseStock(request: ReleaseRequest, options?: CallOptions): Promise<void> {
    try {
      await this.client.request(
        {
          operation: 'releaseStock',
          method: 'POST',
          path: `reservations/${encodeURIComponent(request.reservationId)}/release`,
          body: { orderId: request.orderId },
          idempotencyKey: request.idempotencyKey,
          signal: options?.signal,
        },
        ignoreBody,
      );
    } catch (error) {
      // An unknown reservation holds no stock, so there is nothing left to release.
      if (error instanceof ClientHttpError && error.httpStatus === 404) return;
      throw error;
    }
  }
}

/** PaymentSvc (`PAYMENT_SERVICE_URL`): payment requests and refunds; outcomes arrive later as messages. */
export class HttpPaymentGateway implements PaymentGateway {
  constructor(private readonly client: ServiceClient) {}

  async requestPayment(request: PaymentRequest, options?: CallOptions): Promise<Acceptance> {
    return this.submit(
      'requestPayment',
      'payments',
      { orderId: request.orderId, paymentId: request.paymentId, amount: request.amount, method: request.method },
      request.idempotencyKey,
      options,
    );
  }

  async requestRefund(request: RefundRequest, options?: CallOptions): Promise<Acceptance> {
    return this.submit(
      'requestRefund',
      'refunds',
      { orderId: request.orderId, refundId: request.refundId, amount: request.amount },
      request.idempotencyKey,
      options,
    );
  }

  private async submit(
    operation: string,
    path: string,
    body: { orderId: string; amount: MoneyData; [key: string]: unknown },
    idempotencyKey: string,
    options?: CallOptions,
  ): Promise<Acceptance> {
    try {
      await this.client.request({ operation, method: 'POST', path, body, idempotencyKey, signal: options?.signal }, ignoreBody);
      return { accepted: true };
    } catch (error) {
      if (error instanceof ClientHttpError && [402, 409, 422].includes(error.httpStatus)) {
        return { accepted: false, reason: reasonOf(error, `refused with status ${error.httpStatus}`) };
      }
      throw error;
    }
  }
}

/** UserSvc (`USER_SERVICE_URL`): customer lookup. */
export class HttpCustomerDirectory implements CustomerDirectory {
  constructor(private readonly client: ServiceClient) {}

  async getCustomer(customerId: string, options?: CallOptions): Promise<CustomerInfo | undefined> {
    try {
      const customer = await this.client.request(
        { operation: 'getCustomer', method: 'GET', path: `customers/${encodeURIComponent(customerId)}`, signal: options?.signal },
        (answer) => customerSchema.parse(answer.body),
      );
      return {
        customerId: customer.customerId,
        active: customer.active,
        ...(customer.name ? { name: customer.name } : {}),
        ...(customer.email ? { email: customer.email } : {}),
      };
    } catch (error) {
      if (error instanceof ClientHttpError && error.httpStatus === 404) return undefined;
      throw error;
    }
  }
}

function ignoreBody(_answer: ServiceResponse): void {}

function reasonOf(error: ClientHttpError, fallback: string): string {
  const parsed = refusalSchema.safeParse(error.body);
  return parsed.success && parsed.data.reason ? parsed.data.reason.slice(0, 500) : fallback;
}
