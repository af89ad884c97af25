import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb';
import { StreamIdentifier, UUID } from '@eventstore/db-client/generated/shared_pb';
import { comparePositions, type InMemoryEventLog, type LogPosition, type StoredEvent } from './event-log';

type ReadCall = grpc.ServerWritableStream<ReadReq, ReadResp>;
type EventFilter = (event: StoredEvent) => boolean;

/** Search window of a filtered `$all` subscription when the request sets none. */
const DEFAULT_FILTER_WINDOW = 32;

/** .NET ticks (100 ns) per millisecond: the unit of the `created` field EventStoreDB sends. */
const TICKS_PER_MILLISECOND = 10_000n;

interface ReadContext {
  log: InMemoryEventLog;
  call: ReadCall;
  options: ReadReq.Options;
  structuredIds: boolean;
}

/** Serves one Streams.Read call: a stream or `$all`, read once or subscribed to. */
export function handleRead(log: InMemoryEventLog, call: ReadCall): void {
  const options = call.request.getOptions();
  if (!options) {
    call.destroy(Object.assign(new Error('Read request has no options'), { code: grpc.status.INVALID_ARGUMENT }));
    return;
  }
  const context: ReadContext = { log, call, options, structuredIds: options.getUuidOption()?.hasStructured() ?? false };
  const subscription = options.getCountOptionCase() === ReadReq.Options.CountOptionCase.SUBSCRIPTION;

  if (options.getStreamOptionCase() === ReadReq.Options.StreamOptionCase.ALL) {
    if (subscription) subscribeToAll(context);
    else readAll(context);
    return;
  }
  if (subscription) subscribeToStream(context);
  else readStream(context);
}

function readStream({ log, call, options, structuredIds }: ReadContext): void {
  const streamOptions = options.getStream()!;
  const streamName = streamNameOf(streamOptions.getStreamIdentifier());
  const events = log.stream(streamName);
  if (!events) {
    const notFound = new ReadResp.StreamNotFound();
    notFound.setStreamIdentifier(streamOptions.getStreamIdentifier());
    const response = new ReadResp();
    response.setStreamNotFound(notFound);
    call.write(response);
    call.end();
    return;
  }

  const count = readCount(options);
  const forwards = options.getReadDirection() === ReadReq.Options.ReadDirection.FORWARDS;
  const last = events.length - 1;
  let selected: readonly StoredEvent[];
  switch (streamOptions.getRevisionOptionCase()) {
    case ReadReq.Options.StreamOptions.RevisionOptionCase.END:
      selected = forwards ? [] : events.slice(0, last + 1).reverse();
      break;
    case ReadReq.Options.StreamOptions.RevisionOptionCase.REVISION: {
      const revision = Number(BigInt(streamOptions.getRevision()));
      selected = forwards ? events.slice(revision) : events.slice(0, Math.min(revision, last) + 1).reverse();
      break;
    }
    default:
      selected = forwards ? events : events.slice(0, 1);
  }
  for (const event of selected.slice(0, count)) call.write(eventResponse(event, structuredIds));
  call.end();
}

function readAll({ log, call, options, structuredIds }: ReadContext): void {
  const allOptions = options.getAll()!;
  const filter = filterOf(options);
  const count = readCount(options);
  const forwards = options.getReadDirection() === ReadReq.Options.ReadDirection.FORWARDS;
  const events = log.allEvents();

  let selected: readonly StoredEvent[];
  switch (allOptions.getAllOptionCase()) {
    case ReadReq.Options.AllOptions.AllOptionCase.END:
      selected = forwards ? [] : [...events].reverse();
      break;
    case ReadReq.Options.AllOptions.AllOptionCase.POSITION: {
      // Forwards includes the event at the position; backwards starts before it.
      const from = positionOf(allOptions.getPosition()!);
      selected = forwards
        ? events.filter((event) => comparePositions(event.position, from) >= 0)
        : events.filter((event) => comparePositions(event.position, from) < 0).reverse();
      break;
    }
    default:
      selected = forwards ? events : [];
  }
  let written = 0;
  for (const event of selected) {
    if (written >= count) break;
    if (!filter(event)) continue;
    call.write(eventResponse(event, structuredIds));
    written += 1;
  }
  call.end();
}

/**
 * Catch-up subscription to `$all`: confirmation, the stored events after the
 * start position, CaughtUp, then live events. Filtered subscriptions also get
 * checkpoints every `window × multiplier` events scanned, as EventStoreDB sends them.
 */
function subscribeToAll({ log, call, options, structuredIds }: ReadContext): void {
  const allOptions = options.getAll()!;
  const filter = filterOf(options);
  const checkpointEvery = checkpointInterval(options);
  let scannedSinceCheckpoint = 0;

  const deliver = (event: StoredEvent) => {
    if (filter(event)) call.write(eventResponse(event, structuredIds));
    if (checkpointEvery === undefined) return;
    scannedSinceCheckpoint += 1;
    if (scannedSinceCheckpoint >= checkpointEvery) {
      scannedSinceCheckpoint = 0;
      call.write(checkpointResponse(event.position));
    }
  };

  call.write(confirmationResponse());
  let history: readonly StoredEvent[];
  switch (allOptions.getAllOptionCase()) {
    case ReadReq.Options.AllOptions.AllOptionCase.END:
      history = [];
      break;
    case ReadReq.Options.AllOptions.AllOptionCase.POSITION: {
      // A subscription starts after the given position.
      const from = positionOf(allOptions.getPosition()!);
      history = log.allEvents().filter((event) => comparePositions(event.position, from) > 0);
      break;
    }
    default:
      history = log.allEvents();
  }
  for (const event of history) deliver(event);
  // EventStoreDB 23.10 and later announce going live with CaughtUp alone, without a checkpoint.
  call.write(caughtUpResponse());
  followLiveEvents(log, call, deliver);
}

function subscribeToStream({ log, call, options, structuredIds }: ReadContext): void {
  const streamOptions = options.getStream()!;
  const streamName = streamNameOf(streamOptions.getStreamIdentifier());
  const deliver = (event: StoredEvent) => {
    if (event.streamName === streamName) call.write(eventResponse(event, structuredIds));
  };

  call.write(confirmationResponse());
  const events = log.stream(streamName) ?? [];
  switch (streamOptions.getRevisionOptionCase()) {
    case ReadReq.Options.StreamOptions.RevisionOptionCase.END:
      break;
    case ReadReq.Options.StreamOptions.RevisionOptionCase.REVISION:
      for (const event of events.slice(Number(BigInt(streamOptions.getRevision())) + 1)) deliver(event);
      break;
    default:
      for (const event of events) deliver(event);
  }
  call.write(caughtUpResponse());
  followLiveEvents(log, call, deliver);
}

function followLiveEvents(log: InMemoryEventLog, call: ReadCall, deliver: (event: StoredEvent) => void): void {
  const stop = log.onAppended((event) => {
    if (!call.writable) return;
    deliver(event);
  });
  call.on('cancelled', stop);
  call.on('close', stop);
  call.on('error', stop);
}

function filterOf(options: ReadReq.Options): EventFilter {
  if (!options.hasFilter()) return () => true;
  const filterOptions = options.getFilter()!;
  const onStream = filterOptions.hasStreamIdentifier();
  const expression = onStream ? filterOptions.getStreamIdentifier()! : filterOptions.getEventType()!;
  const prefixes = expression.getPrefixList();
  // EventStoreDB evaluates .NET regular expressions; JavaScript's agree on the simple patterns tests use.
  const regex = expression.getRegex() ? new RegExp(expression.getRegex()) : undefined;
  return (event) => {
    const subject = onStream ? event.streamName : event.type;
    if (prefixes.length > 0 && !prefixes.some((prefix) => subject.startsWith(prefix))) return false;
    if (regex && !regex.test(subject)) return false;
    return true;
  };
}

function checkpointInterval(options: ReadReq.Options): number | undefined {
  if (!options.hasFilter()) return undefined;
  const filterOptions = options.getFilter()!;
  const window = filterOptions.hasMax() ? filterOptions.getMax() : DEFAULT_FILTER_WINDOW;
  return window * Math.max(1, filterOptions.getCheckpointintervalmultiplier());
}

function readCount(options: ReadReq.Options): number {
  if (!options.hasCount()) return Number.MAX_SAFE_INTEGER;
  const count = BigInt(options.getCount());
  return count > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(count);
}

function positionOf(position: ReadReq.Options.Position): LogPosition {
  return { commit: BigInt(position.getCommitPosition()), prepare: BigInt(position.getPreparePosition()) };
}

function streamNameOf(identifier: StreamIdentifier | undefined): string {
  return Buffer.from(identifier?.getStreamName_asU8() ?? []).toString('utf8');
}

function eventResponse(event: StoredEvent, structuredIds: boolean): ReadResp {
  const recorded = new ReadResp.ReadEvent.RecordedEvent();
  recorded.setId(uuidMessage(event.id, structuredIds));
  const identifier = new StreamIdentifier();
  identifier.setStreamName(Buffer.from(event.streamName, 'utf8'));
  recorded.setStreamIdentifier(identifier);
  recorded.setStreamRevision(event.revision.toString());
  recorded.setPreparePosition(event.position.prepare.toString());
  recorded.setCommitPosition(event.position.commit.toString());
  const metadata = recorded.getMetadataMap();
  metadata.set('type', event.type);
  metadata.set('content-type', event.contentType);
  metadata.set('created', (BigInt(event.createdAt) * TICKS_PER_MILLISECOND).toString());
  recorded.setCustomMetadata(event.customMetadata);
  recorded.setData(event.data);

  const read = new ReadResp.ReadEvent();
  read.setEvent(recorded);
  read.setCommitPosition(event.position.commit.toString());
  const response = new ReadResp();
  response.setEvent(read);
  return response;
}

function uuidMessage(id: string, structured: boolean): UUID {
  const uuid = new UUID();
  if (!structured) {
    uuid.setString(id);
    return uuid;
  }
  const bytes = Buffer.from(id.replaceAll('-', ''), 'hex');
  const parts = new UUID.Structured();
  parts.setMostSignificantBits(bytes.readBigInt64BE(0).toString());
  parts.setLeastSignificantBits(bytes.readBigInt64BE(8).toString());
  uuid.setStructured(parts);
  return uuid;
}

function confirmationResponse(): ReadResp {
  const confirmation = new ReadResp.SubscriptionConfirmation();
  confirmation.setSubscriptionId(randomUUID());
  const response = new ReadResp();
  response.setConfirmation(confirmation);
  return response;
}

function caughtUpResponse(): ReadResp {
  const response = new ReadResp();
  response.setCaughtUp(new ReadResp.CaughtUp());
  return response;
}

function checkpointResponse(position: LogPosition): ReadResp {
  const checkpoint = new ReadResp.Checkpoint();
  checkpoint.setCommitPosition(position.commit.toString());
  checkpoint.setPreparePosition(position.prepare.toString());
  const response = new ReadResp();
  response.setCheckpoint(checkpoint);
  return response;
}
