import type { Request, Response } from 'express';
import type { Position } from '../eventstore/port';
import { AppError } from '../infrastructure/errors';
import { currentContext } from '../infrastructure/request-context';
import { toOrderView, type PedidoState } from '../pedido';
import type { CommandOutcome, ExecuteOptions } from '../application/order-command-service';
import type { StoredResponse } from '../application/idempotency/idempotency-store';
import { idempotencySessionOf } from './idempotency';

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** A JSON response before it is sent, so the same value can be stored for idempotent replay. */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export function sendReply(res: Response, reply: Reply): void {
  res.status(reply.status);
  for (const [name, value] of Object.entries(reply.headers)) res.setHeader(name, value);
  res.setHeader('Content-Type', JSON_CONTENT_TYPE);
  res.send(JSON.stringify(reply.body));
}

export function toStoredResponse(reply: Reply): StoredResponse {
  const headers: Record<string, string> = { 'content-type': JSON_CONTENT_TYPE };
  for (const [name, value] of Object.entries(reply.headers)) headers[name.toLowerCase()] = value;
  return { status: reply.status, headers, body: JSON.stringify(reply.body) };
}

/** The order as of `revision`, with its ETag and, after an append, the X-Event-Position of the last event. */
export function orderReply(status: number, state: PedidoState, revision: number, position: Position | null, headers: Record<string, string> = {}): Reply {
  const replyHeaders: Record<string, string> = { ETag: `"${revision}"`, ...headers };
  if (position !== null) replyHeaders['X-Event-Position'] = position;
  return { status, headers: replyHeaders, body: toOrderView(state, revision) };
}

/** Reads `If-Match: "<revision>"`; `*` or no header means any revision. */
export function ifMatchRevision(req: Request): number | undefined {
  const header = req.get('if-match');
  if (header === undefined || header.trim() === '*') return undefined;
  // Strong comparison only (RFC 9110): a weak tag or a bare number is not a quoted revision.
  const match = /^\s*"(\d{1,9})"\s*$/.exec(header);
  if (!match) throw new AppError('INVALID_IF_MATCH', 400);
  return Number(match[1]);
}

const correlationIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

/** Command options from the request: If-Match, correlation ids (X-Correlation-Id, else the request id). */
export function commandOptions(req: Request): ExecuteOptions {
  const requestId = currentContext()?.requestId;
  const given = req.get('x-correlation-id');
  const correlationId = given && correlationIdPattern.test(given) ? given : requestId;
  return {
    expectedRevision: ifMatchRevision(req),
    metadata: { ...(correlationId ? { correlationId } : {}), ...(requestId ? { causationId: requestId } : {}) },
  };
}

/**
 * Runs a command and sends its reply. With an Idempotency-Key, the reply is
 * stored in the transaction that appends the command's events, rendered from
 * the state those events produce.
 */
export async function runCommand(
  req: Request,
  res: Response,
  execute: (options: ExecuteOptions) => Promise<CommandOutcome>,
  render: (state: PedidoState, revision: number, position: Position | null) => Reply,
): Promise<void> {
  const options = commandOptions(req);
  const session = idempotencySessionOf(res);
  if (session) {
    options.withinTransaction = (tx, result, pending) =>
      session.storeWithin(tx, toStoredResponse(render(pending.state, result.nextRevision, pending.events.length > 0 ? result.position : null)));
  }
  const outcome = await execute(options);
  session?.committed();
  sendReply(res, render(outcome.state, outcome.revision, outcome.position));
}
