import * as grpc from '@grpc/grpc-js';
import { Any } from 'google-protobuf/google/protobuf/any_pb';
import { Empty as GoogleEmpty } from 'google-protobuf/google/protobuf/empty_pb';
import { AppendReq, AppendResp, BatchAppendReq, BatchAppendResp } from '@eventstore/db-client/generated/streams_pb';
import {
  AllStreamPosition,
  Empty,
  MaximumAppendSizeExceeded,
  StreamIdentifier,
  UUID,
  WrongExpectedVersion as SharedWrongExpectedVersion,
} from '@eventstore/db-client/generated/shared_pb';
import { Status } from '@eventstore/db-client/generated/status_pb';
import { Code } from '@eventstore/db-client/generated/code_pb';
import type { AppendOutcome, ExpectedState, InMemoryEventLog, ProposedEvent } from './event-log';

/** What the append handlers need from the server. */
export interface AppendContext {
  log: InMemoryEventLog;
  maxAppendBytes: number;
  /** The next injected fault, if a test queued one. */
  takeFault(): grpc.ServiceError | undefined;
}

/** The fields a proposed event has in both Append and BatchAppend requests. */
interface ProposedMessage {
  getId(): UUID | undefined;
  getMetadataMap(): { get(key: string): string | undefined };
  getData_asU8(): Uint8Array;
  getCustomMetadata_asU8(): Uint8Array;
}

class AppendRejected extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
    readonly metadata: grpc.Metadata,
    /** The same failure as BatchAppend reports it, in a `google.rpc.Status`. */
    readonly batchDetails?: { typeName: string; bytes: Uint8Array },
  ) {
    super(message);
  }
}

/** Streams.Append: options first, then one event per message, one response at the end. */
export function handleAppend(
  context: AppendContext,
  call: grpc.ServerReadableStream<AppendReq, AppendResp>,
  callback: grpc.sendUnaryData<AppendResp>,
): void {
  const messages: AppendReq[] = [];
  call.on('data', (message: AppendReq) => messages.push(message));
  call.on('error', () => undefined);
  call.on('end', () => {
    const fault = context.takeFault();
    if (fault) {
      callback(fault);
      return;
    }
    try {
      callback(null, appendResponse(appendMessages(context, messages)));
    } catch (error) {
      if (!(error instanceof AppendRejected)) throw error;
      callback(serviceError(error.code, error.message, error.metadata));
    }
  });
}

/**
 * Streams.BatchAppend: a long-lived duplex call carrying appends identified by
 * correlation id. An append's options come with its first request and it
 * completes with the request marked final.
 */
export function handleBatchAppend(context: AppendContext, call: grpc.ServerDuplexStream<BatchAppendReq, BatchAppendResp>): void {
  const pending = new Map<string, { options: BatchAppendReq.Options; events: ProposedEvent[] }>();
  call.on('error', () => undefined);
  call.on('end', () => call.end());
  call.on('data', (request: BatchAppendReq) => {
    const correlationId = request.getCorrelationId();
    const key = correlationId ? uuidText(correlationId) : '';
    let append = pending.get(key);
    if (!append) {
      const options = request.getOptions();
      if (!options) {
        call.emit('error', serviceError(grpc.status.INVALID_ARGUMENT, 'The first BatchAppend request of an append must carry the options'));
        return;
      }
      append = { options, events: [] };
      pending.set(key, append);
    }
    append.events.push(...request.getProposedMessagesList().map(proposedEvent));
    if (!request.getIsFinal()) return;
    pending.delete(key);

    const fault = context.takeFault();
    if (fault) {
      // A lost connection or a leader change ends the whole call, as on a real node.
      call.emit('error', fault);
      return;
    }
    call.write(batchAppendResponse(context, correlationId, append.options, append.events));
  });
}

function appendMessages(context: AppendContext, messages: AppendReq[]): AppendOutcome {
  const [header, ...rest] = messages;
  const options = header?.getOptions();
  if (!options) throw new AppendRejected(grpc.status.INVALID_ARGUMENT, 'The first Append message must carry the options', new grpc.Metadata());
  const events = rest.map((message) => {
    const proposed = message.getProposedMessage();
    if (!proposed) throw new AppendRejected(grpc.status.INVALID_ARGUMENT, 'Append messages after the first must carry an event', new grpc.Metadata());
    return proposedEvent(proposed);
  });
  return appendEvents(context, streamNameOf(options.getStreamIdentifier()), unaryExpectedState(options), events);
}

function appendEvents(context: AppendContext, streamName: string, expected: ExpectedState, events: ProposedEvent[]): AppendOutcome {
  // EventStoreDB counts an append's events against its MaxAppendSize.
  const bytes = events.reduce((sum, event) => sum + event.data.length + event.customMetadata.length, 0);
  if (bytes > context.maxAppendBytes) throw maxAppendSizeRejection(context.maxAppendBytes);
  return context.log.append(streamName, expected, events);
}

function batchAppendResponse(
  context: AppendContext,
  correlationId: UUID | undefined,
  options: BatchAppendReq.Options,
  events: ProposedEvent[],
): BatchAppendResp {
  const response = new BatchAppendResp();
  response.setCorrelationId(correlationId);
  response.setStreamIdentifier(options.getStreamIdentifier());
  let outcome: AppendOutcome;
  try {
    outcome = appendEvents(context, streamNameOf(options.getStreamIdentifier()), batchExpectedState(options), events);
  } catch (error) {
    if (!(error instanceof AppendRejected)) throw error;
    response.setError(statusOf(error));
    return response;
  }

  if (outcome.kind === 'wrong_expected_version') {
    response.setError(statusOf(wrongExpectedVersionRejection(outcome)));
    return response;
  }
  const success = new BatchAppendResp.Success();
  if (outcome.currentRevision < 0n) success.setNoStream(new GoogleEmpty());
  else success.setCurrentRevision(outcome.currentRevision.toString());
  if (outcome.position) success.setPosition(allStreamPosition(outcome.position));
  else success.setNoPosition(new GoogleEmpty());
  response.setSuccess(success);
  return response;
}

function proposedEvent(proposed: ProposedMessage): ProposedEvent {
  const metadata = proposed.getMetadataMap();
  const type = metadata.get('type');
  const contentType = metadata.get('content-type');
  if (!type || !contentType) throw requiredMetadataRejection(!type ? 'type' : 'content-type');
  const id = proposed.getId();
  if (!id) throw new AppendRejected(grpc.status.INVALID_ARGUMENT, 'An event has no id', new grpc.Metadata());
  return { id: uuidText(id), type, contentType, data: proposed.getData_asU8(), customMetadata: proposed.getCustomMetadata_asU8() };
}

export function uuidText(uuid: UUID): string {
  if (uuid.hasStructured()) {
    const structured = uuid.getStructured()!;
    const bytes = Buffer.alloc(16);
    bytes.writeBigInt64BE(BigInt(structured.getMostSignificantBits()), 0);
    bytes.writeBigInt64BE(BigInt(structured.getLeastSignificantBits()), 8);
    const hex = bytes.toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  return uuid.getString().toLowerCase();
}

function streamNameOf(identifier: StreamIdentifier | undefined): string {
  return Buffer.from(identifier?.getStreamName_asU8() ?? []).toString('utf8');
}

function unaryExpectedState(options: AppendReq.Options): ExpectedState {
  switch (options.getExpectedStreamRevisionCase()) {
    case AppendReq.Options.ExpectedStreamRevisionCase.REVISION:
      return { kind: 'revision', revision: BigInt(options.getRevision()) };
    case AppendReq.Options.ExpectedStreamRevisionCase.NO_STREAM:
      return { kind: 'no_stream' };
    case AppendReq.Options.ExpectedStreamRevisionCase.STREAM_EXISTS:
      return { kind: 'stream_exists' };
    default:
      return { kind: 'any' };
  }
}

function batchExpectedState(options: BatchAppendReq.Options): ExpectedState {
  switch (options.getExpectedStreamPositionCase()) {
    case BatchAppendReq.Options.ExpectedStreamPositionCase.STREAM_POSITION:
      return { kind: 'revision', revision: BigInt(options.getStreamPosition()) };
    case BatchAppendReq.Options.ExpectedStreamPositionCase.NO_STREAM:
      return { kind: 'no_stream' };
    case BatchAppendReq.Options.ExpectedStreamPositionCase.STREAM_EXISTS:
      return { kind: 'stream_exists' };
    default:
      return { kind: 'any' };
  }
}

function appendResponse(outcome: AppendOutcome): AppendResp {
  const response = new AppendResp();
  if (outcome.kind === 'success') {
    const success = new AppendResp.Success();
    if (outcome.currentRevision < 0n) success.setNoStream(new Empty());
    else success.setCurrentRevision(outcome.currentRevision.toString());
    if (outcome.position) {
      const position = new AppendResp.Position();
      position.setCommitPosition(outcome.position.commit.toString());
      position.setPreparePosition(outcome.position.prepare.toString());
      success.setPosition(position);
    } else {
      success.setNoPosition(new Empty());
    }
    response.setSuccess(success);
    return response;
  }

  // The client reads the current fields; the 20.6.0 ones are set too, as EventStoreDB does.
  const wrong = new AppendResp.WrongExpectedVersion();
  if (outcome.currentRevision === undefined) {
    wrong.setCurrentNoStream(new Empty());
    wrong.setNoStream2060(new Empty());
  } else {
    wrong.setCurrentRevision(outcome.currentRevision.toString());
    wrong.setCurrentRevision2060(Number(outcome.currentRevision));
  }
  const expected = outcome.expected;
  switch (expected.kind) {
    case 'revision':
      wrong.setExpectedRevision(expected.revision.toString());
      wrong.setExpectedRevision2060(Number(expected.revision));
      break;
    case 'no_stream':
      wrong.setExpectedNoStream(new Empty());
      break;
    case 'stream_exists':
      wrong.setExpectedStreamExists(new Empty());
      wrong.setStreamExists2060(new Empty());
      break;
    case 'any':
      wrong.setExpectedAny(new Empty());
      wrong.setAny2060(new Empty());
      break;
  }
  response.setWrongExpectedVersion(wrong);
  return response;
}

function wrongExpectedVersionRejection(outcome: Extract<AppendOutcome, { kind: 'wrong_expected_version' }>): AppendRejected {
  const details = new SharedWrongExpectedVersion();
  if (outcome.currentRevision === undefined) details.setCurrentNoStream(new GoogleEmpty());
  else details.setCurrentStreamRevision(outcome.currentRevision.toString());
  const expected = outcome.expected;
  switch (expected.kind) {
    case 'revision':
      details.setExpectedStreamPosition(expected.revision.toString());
      break;
    case 'no_stream':
      details.setExpectedNoStream(new GoogleEmpty());
      break;
    case 'stream_exists':
      details.setExpectedStreamExists(new GoogleEmpty());
      break;
    case 'any':
      details.setExpectedAny(new GoogleEmpty());
      break;
  }
  return new AppendRejected(grpc.status.FAILED_PRECONDITION, 'Wrong expected version', new grpc.Metadata(), {
    typeName: 'event_store.client.WrongExpectedVersion',
    bytes: details.serializeBinary(),
  });
}

function maxAppendSizeRejection(maxAppendBytes: number): AppendRejected {
  const metadata = new grpc.Metadata();
  metadata.set('exception', 'maximum-append-size-exceeded');
  metadata.set('maximum-append-size', String(maxAppendBytes));
  const details = new MaximumAppendSizeExceeded();
  details.setMaxappendsize(maxAppendBytes);
  return new AppendRejected(grpc.status.INVALID_ARGUMENT, `Maximum Append Size of ${maxAppendBytes} Exceeded.`, metadata, {
    typeName: 'event_store.client.MaximumAppendSizeExceeded',
    bytes: details.serializeBinary(),
  });
}

function requiredMetadataRejection(property: string): AppendRejected {
  const metadata = new grpc.Metadata();
  metadata.set('exception', 'missing-required-metadata-property');
  metadata.set('required-metadata-properties', property);
  return new AppendRejected(grpc.status.INVALID_ARGUMENT, `Required metadata property ${property} is missing`, metadata);
}

function statusOf(rejection: AppendRejected): Status {
  const status = new Status();
  status.setCode(rejection.code === grpc.status.FAILED_PRECONDITION ? Code.FAILED_PRECONDITION : Code.INVALID_ARGUMENT);
  status.setMessage(rejection.message);
  if (rejection.batchDetails) {
    const details = new Any();
    details.pack(rejection.batchDetails.bytes, rejection.batchDetails.typeName);
    status.setDetails(details);
  }
  return status;
}

function allStreamPosition(position: { commit: bigint; prepare: bigint }): AllStreamPosition {
  const result = new AllStreamPosition();
  result.setCommitPosition(position.commit.toString());
  result.setPreparePosition(position.prepare.toString());
  return result;
}

export function serviceError(code: grpc.status, details: string, metadata = new grpc.Metadata()): grpc.ServiceError {
  return Object.assign(new Error(details), { code, details, metadata });
}
