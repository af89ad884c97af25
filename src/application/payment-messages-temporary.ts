import { componentLogger } from '../infrastructure/logger';
import type { MoneyData } from '../pedido/events';
import type { OrderCommandService } from './order-command-service';

const log = componentLogger('payment-messages');

interface PaymentMessage {
  messageId: string;
  type: string;
  data: unknown;
}

interface PaymentData {
  orderId: string;
  paymentId: string;
  amount?: MoneyData;
  method?: string | null;
  reason?: string;
}

/**
 * Applies PagoConfirmado and PagoRechazado messages from the PaymentSvc
 * stand-in straight to the order, so the embedded default can confirm
 * payments before the inbox is wired.
 *
 * TODO: replace with `(message) => inboxProcessor.process(message)` once the
 * messaging inbox is composed in the service; this path has no inbox table,
 * so it relies on the command being idempotent (a payment confirmed twice
 * appends nothing).
 */
export function applyPaymentMessageDirectly(commands: OrderCommandService) {
  return async (message: PaymentMessage): Promise<'applied' | 'ignored'> => {
    const data = message.data as PaymentData;
    if (message.type === 'PagoConfirmado' && data.amount) {
      await commands.execute(
        data.orderId,
        { type: 'ConfirmarPago', paymentId: data.paymentId, amount: data.amount, method: data.method ?? null },
        { metadata: { causationId: message.messageId } },
      );
      return 'applied';
    }
    if (message.type === 'PagoRechazado') {
      await commands.execute(
        data.orderId,
        { type: 'RechazarPago', paymentId: data.paymentId, reason: data.reason ?? 'rejected' },
        { metadata: { causationId: message.messageId } },
      );
      return 'applied';
    }
    log.warn('payment message ignored', { messageId: message.messageId, type: message.type });
    return 'ignored';
  };
}
