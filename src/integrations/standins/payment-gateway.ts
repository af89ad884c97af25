import { createHash } from 'node:crypto';
import { componentLogger, errorFields } from '../../infrastructure/logger';
import type { CallOptions, PaymentGateway, PaymentRequest } from '../ports';
import type { MoneyData } from '../../pedido/events';

const log = componentLogger('standin-payment-gateway');

/** The shape of an inbound message as the inbox processes it (RabbitMQ or stand-in). */
export interface StandinInboundMessage {
  messageId: string;
  type: string;
  occurredAt: string;
  data: unknown;
  source: string;
}

export type DeliverMessage = (message: StandinInboundMessage) => Promise<unknown>;

export interface StandinPaymentGatewayOptions {
  /** Time between a payment request and its confirmation (`PAYMENT_STANDIN_DELAY`). */
  delayMs: number;
  /** Hands the synthetic `PagoConfirmado` to the inbox, the same path a RabbitMQ message takes. */
  deliver: DeliverMessage;
  /** Delivery attempts before the stand-in gives up on one confirmation. */
  maxDeliveryAttempts?: number;
  now?: () => Date;
}

type RefundRequest = Parameters<PaymentGateway['requestRefund']>[0];

/**
 * PaymentSvc stand-in: accepts every payment and, `delayMs` later, delivers a
 * `PagoConfirmado` message for it. Requests are idempotent by key, and the
 * message id is derived from the key, so the inbox drops any duplicate.
 *
 * NOTE: pending confirmations live in memory. After a restart the stand-in
 * does not confirm them, and the process manager's payment timeout cancels
 * those orders.
 */
export class StandinPaymentGateway implements PaymentGateway {
  private readonly requested = new Set<string>();
  private readonly refunds = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly options: StandinPaymentGatewayOptions) {}

  async requestPayment(request: PaymentRequest, _options?: CallOptions): Promise<{ accepted: true }> {
    if (this.requested.has(request.idempotencyKey)) return { accepted: true };
    this.requested.add(request.idempotencyKey);

    const message: StandinInboundMessage = {
      messageId: uuidFromKey(`payment:${request.idempotencyKey}`),
      type: 'PagoConfirmado',
      occurredAt: '',
      data: { paymentId: request.paymentId, orderId: request.orderId, amount: request.amount, method: request.method },
      source: 'paymentsvc-standin',
    };
    this.schedule(message, this.options.delayMs, 1);
    log.info('payment accepted', { orderId: request.orderId, paymentId: request.paymentId });
    return { accepted: true };
  }

  async requestRefund(request: RefundRequest, _options?: CallOptions): Promise<{ accepted: true }> {
    if (!this.refunds.has(request.idempotencyKey)) {
      this.refunds.add(request.idempotencyKey);
      log.info('refund accepted', { orderId: request.orderId, refundId: request.refundId, amount: formatMoney(request.amount) });
    }
    return { accepted: true };
  }

  /** Cancels every confirmation not delivered yet. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private schedule(message: StandinInboundMessage, delayMs: number, attempt: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.deliver(message, attempt);
    }, delayMs);
    this.timers.add(timer);
  }

  private async deliver(message: StandinInboundMessage, attempt: number): Promise<void> {
    const now = this.options.now?.() ?? new Date();
    try {
      await this.options.deliver({ ...message, occurredAt: message.occurredAt || now.toISOString() });
    } catch (error) {
      const maxAttempts = this.options.maxDeliveryAttempts ?? 5;
      if (this.stopped || attempt >= maxAttempts) {
        log.error('payment confirmation not delivered', { messageId: message.messageId, attempt, ...errorFields(error) });
        return;
      }
      log.warn('payment confirmation delivery failed; retrying', { messageId: message.messageId, attempt, ...errorFields(error) });
      // Keep the first occurredAt so a retried message carries the same business time.
      this.schedule({ ...message, occurredAt: message.occurredAt || now.toISOString() }, Math.min(200 * 2 ** attempt, 5_000), attempt + 1);
    }
  }
}

/** Formats a stable UUID-shaped id from a string, so repeats of one request share a message id. */
export function uuidFromKey(key: string): string {
  const hex = createHash('sha256').update(key).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function formatMoney(money: MoneyData): string {
  return `${money.amount} ${money.currency}`;
}
