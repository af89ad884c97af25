import amqp, { type ChannelModel } from 'amqplib';
import { redactUrl } from '../infrastructure/database';

/** Exponential backoff with full jitter: attempt 1 waits up to `initialMs`, doubling up to `maxMs`. */
export interface Backoff {
  initialMs: number;
  maxMs: number;
}

export const defaultBackoff: Backoff = { initialMs: 250, maxMs: 30_000 };

export function backoffDelay(backoff: Backoff, attempt: number): number {
  const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}


/**
 * Opens an AMQP connection named after its role (shown in the management UI).
 * Heartbeats make a silently dropped TCP connection close within ~2 intervals.
 */
export async function connectBroker(url: string, role: string): Promise<ChannelModel> {
  return amqp.connect(withDefaultHeartbeat(url), { clientProperties: { connection_name: `ordersvc-${role}` }, timeout: 10_000, noDelay: true });
}

/** Adds `heartbeat=10` (seconds) unless the URL sets its own; amqplib reads it only from the URL. */
function withDefaultHeartbeat(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.searchParams.has('heartbeat')) parsed.searchParams.set('heartbeat', '10');
    return parsed.toString();
  } catch {
    return url;
  }
}

export function describeBroker(url: string): string {
  return `RabbitMQ ${redactUrl(url)}`;
}

/** AMQP reply code of a channel or connection error (404 NOT_FOUND, 406 PRECONDITION_FAILED, 320 CONNECTION_FORCED…). */
export function amqpCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * Closes a connection, resolving also when the socket dies before
 * completing the close handshake (amqplib's `close()` then never settles),
 * and after `timeoutMs` at the latest.
 */
export async function closeQuietly(connection: ChannelModel, timeoutMs = 2000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let onClose: (() => void) | undefined;
  const closedOrTimedOut = new Promise<void>((resolve) => {
    onClose = resolve;
    connection.once('close', onClose);
    timer = setTimeout(resolve, timeoutMs);
  });
  try {
    await Promise.race([connection.close().catch(() => undefined), closedOrTimedOut]);
  } finally {
    clearTimeout(timer);
    if (onClose) connection.off('close', onClose);
  }
}
