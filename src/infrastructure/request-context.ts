import { AsyncLocalStorage } from 'node:async_hooks';

/** Ids that follow one request or message through every log line it causes. */
export interface RequestContext {
  requestId?: string;
  messageId?: string;
  correlationId?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function runWithContext<T>(context: RequestContext, work: () => T): T {
  return storage.run(context, work);
}

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}
