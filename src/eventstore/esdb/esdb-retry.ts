import {
  CancelledError,
  DeadlineExceededError,
  NotLeaderError,
  TimeoutError,
  UnavailableError,
  convertToCommandError,
} from '@eventstore/db-client';
import { componentLogger, errorFields } from '../../infrastructure/logger';
import { EventStoreUnavailableError } from '../port';
import { sleep } from '../../infrastructure/sleep';

const log = componentLogger('esdb-event-store');

export interface RetryPolicy {
  /** Attempts in total, the first included. */
  attempts: number;
  /** Delay before the second attempt; each later delay doubles, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Time one attempt may take before it counts as timed out. */
  attemptTimeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 2_000, attemptTimeoutMs: 10_000 };

/** Raised by `withTimeout` when an attempt takes longer than allowed. */
export class AttemptTimedOutError extends Error {
  constructor(operation: string, timeoutMs: number) {
    super(`EventStoreDB ${operation} timed out after ${timeoutMs} ms`);
    this.name = 'AttemptTimedOutError';
  }
}

/**
 * Failures worth another attempt: the node is unreachable or restarting, it is
 * no longer the leader (the client has already switched to the new one), or the
 * call timed out. Anything else is the server's response and is thrown at once.
 */
export function isTransient(error: unknown): boolean {
  // Some client paths reject with the raw gRPC error; convert it like the client does.
  if (isGrpcError(error)) error = convertToCommandError(error);
  return (
    error instanceof UnavailableError ||
    error instanceof NotLeaderError ||
    error instanceof DeadlineExceededError ||
    error instanceof TimeoutError ||
    error instanceof CancelledError ||
    error instanceof AttemptTimedOutError
  );
}

/**
 * Runs `attempt` until it succeeds, a non-transient error occurs, or the
 * attempts run out; then throws `EventStoreUnavailableError`. Only idempotent
 * work may be retried: appends are, because they carry their event ids.
 */
export async function withRetry<T>(operation: string, policy: RetryPolicy, attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
  let lastError: unknown;
  for (let number = 1; number <= policy.attempts; number += 1) {
    try {
      return await withTimeout(operation, policy.attemptTimeoutMs, attempt);
    } catch (error) {
      if (!isTransient(error)) throw error;
      lastError = error;
      if (number === policy.attempts) break;
      const delayMs = Math.min(policy.baseDelayMs * 2 ** (number - 1), policy.maxDelayMs);
      log.warn('EventStoreDB call failed, retrying', { operation, attempt: number, delayMs, ...errorFields(error) });
      await sleep(delayMs);
    }
  }
  log.error('EventStoreDB call failed after all retries', { operation, attempts: policy.attempts, ...errorFields(lastError) });
  throw new EventStoreUnavailableError(`EventStoreDB ${operation} failed after ${policy.attempts} attempts: ${messageOf(lastError)}`, lastError);
}

/**
 * Runs `work`, rejecting with `AttemptTimedOutError` when it takes longer than
 * `timeoutMs`; the signal passed to `work` aborts then, so it can cancel its call.
 */
export async function withTimeout<T>(operation: string, timeoutMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new AttemptTimedOutError(operation, timeoutMs));
    }, timeoutMs);
  });
  try {
    return await Promise.race([work(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}


function isGrpcError(error: unknown): error is Error & { code: number } {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'number' && 'details' in error;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
