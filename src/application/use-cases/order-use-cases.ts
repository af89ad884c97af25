import { randomUUID } from 'node:crypto';
import type { SqlExecutor } from '../../infrastructure/database';
import { AppError } from '../../infrastructure/errors';
import { componentLogger, errorFields } from '../../infrastructure/logger';
import {
  ServiceUnavailableError,
  type CustomerDirectory,
  type PaymentGateway,
  type ProductCatalog,
  type ShippingRates,
} from '../../integrations/ports';
import {
  paymentsOf,
  toMoneyData,
  fromMoneyData,
  type AddressData,
  type MoneyData,
  type NewLine,
  type PaymentView,
  type PedidoState,
  type PromotionData,
} from '../../pedido';
import type { AppendResult } from '../../eventstore/port';
import type { CommandOutcome, ExecuteOptions, OrderCommandService, PendingOutcome } from '../order-command-service';
import type { Promotion, PromotionRepository } from '../promotions/promotion-repository';

const log = componentLogger('use-cases');

export interface LineRequest {
  productId: string;
  quantity: number;
  /** The price the client showed, if any. */
  unitPrice?: MoneyData;
}

export interface CreateOrderRequest {
  customerId: string;
  currency?: string;
  items?: LineRequest[];
  shippingAddress?: AddressData | null;
  notes?: string | null;
}

export type StatusChange =
  | { status: 'preparing' }
  | { status: 'shipped'; carrier: string | null; trackingNumber: string | null }
  | { status: 'delivered' }
  | { status: 'cancelled'; reason: string | null };

export interface OrderUseCasesOptions {
  commands: OrderCommandService;
  catalog: ProductCatalog;
  customers: CustomerDirectory;
  shipping: ShippingRates;
  payments: PaymentGateway;
  promotions: PromotionRepository;
  defaultCurrency: string;
  newId?: () => string;
}

export interface PaymentOutcome {
  outcome: CommandOutcome;
  /** The payment requested; undefined when the order had nothing to pay and was confirmed at once. */
  payment: PaymentView | undefined;
}

/**
 * The order commands as the API offers them: each resolves what `decide`
 * needs through the ports (prices, customer, promotion, shipping cost), runs
 * the command, and calls PaymentSvc or ProductSvc where the command asks for it.
 */
export class OrderUseCases {
  private readonly newId: () => string;

  constructor(private readonly options: OrderUseCasesOptions) {
    this.newId = options.newId ?? randomUUID;
  }

  /** CrearPedido: checks the customer, prices every line and quotes shipping before creating the order. */
  async createOrder(request: CreateOrderRequest, options: ExecuteOptions = {}): Promise<CommandOutcome> {
    const currency = request.currency ?? this.options.defaultCurrency;
    await this.requireActiveCustomer(request.customerId);
    const items: NewLine[] = [];
    for (const line of request.items ?? []) {
      items.push({ itemId: this.newId(), ...(await this.priceLine(line, currency)) });
    }
    const shippingTotal = await this.options.shipping.quote({ currency, lines: items.map(({ productId, quantity }) => ({ productId, quantity })) });
    const orderId = this.newId();
    return this.options.commands.execute(
      orderId,
      {
        type: 'CrearPedido',
        orderId,
        customerId: request.customerId,
        currency,
        shippingAddress: request.shippingAddress ?? null,
        notes: request.notes ?? null,
        items,
        shippingTotal,
      },
      options,
    );
  }

  /** AgregarProductoAPedido at the catalog's current price. */
  async addItem(orderId: string, line: LineRequest, options: ExecuteOptions = {}): Promise<CommandOutcome> {
    // The currency never changes, so a cached state is as good as a fresh one here.
    const order = this.options.commands.peek(orderId) ?? (await this.requireOrder(orderId));
    const priced = await this.priceLine(line, order.currency);
    return this.options.commands.execute(orderId, { type: 'AgregarProductoAPedido', itemId: this.newId(), ...priced }, options);
  }

  async removeItem(orderId: string, itemId: string, options: ExecuteOptions = {}): Promise<CommandOutcome> {
    return this.options.commands.execute(orderId, { type: 'EliminarProductoDePedido', itemId }, options);
  }

  async changeQuantity(orderId: string, itemId: string, quantity: number, options: ExecuteOptions = {}): Promise<CommandOutcome> {
    return this.options.commands.execute(orderId, { type: 'ModificarCantidad', itemId, quantity }, options);
  }

  /**
   * AplicarDescuento with the promotion as stored. Its redemption is counted
   * in the transaction that stores the discount, so concurrent orders never
   * redeem a code more often than its limit.
   */
  async applyDiscount(orderId: string, code: string, options: ExecuteOptions = {}): Promise<CommandOutcome> {
    const promotion = await this.options.promotions.find(code);
    if (!promotion) throw new AppError('DISCOUNT_INVALID', 422, { code, reason: 'unknown' });
    const redeem = async (tx: SqlExecutor, _result: AppendResult, pending: PendingOutcome): Promise<void> => {
      if (pending.events.some((event) => event.type === 'DescuentoAplicado')) await this.options.promotions.redeem(tx, promotion.code);
    };
    return this.options.commands.execute(
      orderId,
      { type: 'AplicarDescuento', promotion: toPromotionData(promotion) },
      { ...options, withinTransaction: chain(redeem, options.withinTransaction) },
    );
  }

  /**
   * ProcesarPago, then the request to PaymentSvc. A rejection or an
   * unreachable PaymentSvc records the payment as rejected (so the order can
   * be paid again) and is reported as PAYMENT_REJECTED or SERVICE_UNAVAILABLE.
   */
  async requestPayment(orderId: string, request: { method: string; amount?: MoneyData }, options: ExecuteOptions = {}): Promise<PaymentOutcome> {
    const paymentId = this.newId();
    const outcome = await this.options.commands.execute(orderId, { type: 'ProcesarPago', paymentId, method: request.method, amount: request.amount ?? null }, options);
    const payment = paymentsOf(outcome.state).find((candidate) => candidate.paymentId === paymentId);
    if (!payment) return { outcome, payment: undefined };

    try {
      const answer = await this.options.payments.requestPayment({ orderId, paymentId, amount: payment.amount, method: payment.method, idempotencyKey: `payment-${paymentId}` });
      if (!answer.accepted) {
        await this.rejectPayment(orderId, paymentId, answer.reason, options);
        throw new AppError('PAYMENT_REJECTED', 422, { paymentId, reason: answer.reason });
      }
    } catch (error) {
      if (error instanceof ServiceUnavailableError) await this.rejectPayment(orderId, paymentId, 'payment service unavailable', options);
      throw error;
    }
    return { outcome, payment };
  }

  /** PUT status: preparing reserves stock with ProductSvc first; the others map to one command each. */
  async changeStatus(orderId: string, change: StatusChange, options: ExecuteOptions = {}): Promise<CommandOutcome> {
    switch (change.status) {
      case 'preparing':
        return this.prepare(orderId, options);
      case 'shipped':
        return this.options.commands.execute(orderId, { type: 'MarcarPedidoComoEnviado', carrier: change.carrier, trackingNumber: change.trackingNumber }, options);
      case 'delivered':
        return this.options.commands.execute(orderId, { type: 'ConfirmarEntrega' }, options);
      case 'cancelled':
        return this.cancel(orderId, change.reason, options);
    }
  }

  /** CancelarPedido; cancelling a cancelled order appends nothing. */
  async cancel(orderId: string, reason: string | null, options: ExecuteOptions = {}): Promise<CommandOutcome> {
    // NOTE: a paid order's refund is requested by the order workflow (process manager) when it sees PedidoCancelado.
    return this.options.commands.execute(orderId, { type: 'CancelarPedido', reason }, options);
  }

  private async prepare(orderId: string, options: ExecuteOptions): Promise<CommandOutcome> {
    const order = await this.requireOrder(orderId);
    let reservationId: string | null = null;
    // Only a confirmed order reserves stock; for any other status decide raises the transition error (or appends nothing).
    if (order.status === 'confirmed') {
      const lines = order.lines.map((line) => ({ productId: line.productId, quantity: line.quantity }));
      const reservation = await this.options.catalog.reserveStock({ orderId, lines, idempotencyKey: `reserve-${orderId}` });
      if (!reservation.reserved) throw new AppError('STOCK_UNAVAILABLE', 409, { orderId, reason: reservation.reason });
      reservationId = reservation.reservationId;
    }
    return this.options.commands.execute(orderId, { type: 'ReservarInventario', reservationId }, options);
  }

  private async rejectPayment(orderId: string, paymentId: string, reason: string, options: ExecuteOptions): Promise<void> {
    try {
      await this.options.commands.execute(orderId, { type: 'RechazarPago', paymentId, reason }, { metadata: options.metadata });
    } catch (error) {
      log.error('payment rejection not recorded', { orderId, paymentId, ...errorFields(error) });
    }
  }

  private async requireOrder(orderId: string): Promise<PedidoState> {
    const loaded = await this.options.commands.load(orderId);
    if (!loaded) throw new AppError('ORDER_NOT_FOUND', 404, { orderId });
    return loaded.state;
  }

  private async requireActiveCustomer(customerId: string): Promise<void> {
    const customer = await this.options.customers.getCustomer(customerId);
    if (!customer) throw new AppError('CUSTOMER_INVALID', 422, { customerId, reason: 'unknown' });
    if (!customer.active) throw new AppError('CUSTOMER_INVALID', 422, { customerId, reason: 'inactive' });
  }

  /** Current price and stock of one line; a price the client sent must match the current one. */
  private async priceLine(line: LineRequest, currency: string): Promise<Omit<NewLine, 'itemId'>> {
    const product = await this.options.catalog.getProduct(line.productId);
    const productId = line.productId;
    if (!product) throw new AppError('PRODUCT_UNAVAILABLE', 422, { productId, reason: 'unknown' });
    if (product.unitPrice.currency !== currency) throw new AppError('PRODUCT_UNAVAILABLE', 422, { productId, reason: 'currency', currency });
    const current = toMoneyData(fromMoneyData(product.unitPrice));
    if (line.unitPrice && !samePrice(line.unitPrice, current)) {
      throw new AppError('PRICE_CHANGED', 409, {
        productId,
        currentAmount: current.amount,
        currentCurrency: current.currency,
        sentAmount: line.unitPrice.amount,
        sentCurrency: line.unitPrice.currency,
      });
    }
    if (product.available < line.quantity) {
      throw new AppError('PRODUCT_UNAVAILABLE', 422, { productId, reason: 'stock', available: product.available, requested: line.quantity });
    }
    return { productId, quantity: line.quantity, unitPrice: current };
  }
}

function samePrice(sent: MoneyData, current: MoneyData): boolean {
  if (sent.currency !== current.currency) return false;
  return fromMoneyData(sent).minor === fromMoneyData(current).minor;
}

function toPromotionData(promotion: Promotion): PromotionData {
  return {
    code: promotion.code,
    percentOff: promotion.percentOff,
    amountOff: promotion.amountOff,
    validFrom: promotion.validFrom,
    validTo: promotion.validTo,
    minSubtotal: promotion.minSubtotal,
    redemptionsLeft: promotion.maxRedemptions === null ? null : Math.max(0, promotion.maxRedemptions - promotion.redemptions),
  };
}

type WithinTransaction = NonNullable<ExecuteOptions['withinTransaction']>;

/** Runs `first`, then `second` when given, in the same transaction. */
export function chain(first: WithinTransaction, second: WithinTransaction | undefined): WithinTransaction {
  if (!second) return first;
  return async (tx, result, pending) => {
    await first(tx, result, pending);
    await second(tx, result, pending);
  };
}
