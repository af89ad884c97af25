import * as grpc from '@grpc/grpc-js';
import { StreamsService } from '@eventstore/db-client/generated/streams_grpc_pb';
import { ServerFeaturesService } from '@eventstore/db-client/generated/serverfeatures_grpc_pb';
import { SupportedMethod, SupportedMethods } from '@eventstore/db-client/generated/serverfeatures_pb';
import { AppendReq, AppendResp } from '@eventstore/db-client/generated/streams_pb';
import { Empty } from '@eventstore/db-client/generated/shared_pb';
import { InMemoryEventLog, seedSystemEvents, type AppendOutcome, type ExpectedState, type ProposedEvent } from './event-log';
import { handleRead } from './read-handler';

/** EventStoreDB's default maximum append size (`MaxAppendSize`, 1 MiB). */
export const DEFAULT_MAX_APPEND_BYTES = 1024 * 1024;

/** Version the server reports through ServerFeatures; the client only logs it. */
const SERVER_VERSION = '24.10.0-test';

export type FaultKind = 'unavailable' | 'not-leader' | 'deadline-exceeded';

export interface EsdbTestServerOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Log to serve; by default a new one holding a few system events. */
  log?: InMemoryEventLog;
  maxAppendBytes?: number;
}

/**
 * A single-node EventStoreDB stand-in that speaks the gRPC calls
 * `@eventstore/db-client` makes (ServerFeatures, Streams.Append, Streams.Read)
 * on 127.0.0.1 without TLS. A test tool: it keeps everything in memory.
 */
export class EsdbTestServer {
  readonly log: InMemoryEventLog;
  private server: grpc.Server | undefined;
  private boundPort: number;
  private readonly maxAppendBytes: number;
  private readonly faults: FaultKind[] = [];
  private readonly openCalls = new Set<grpc.ServerWritableStream<unknown, unknown>>();

  constructor(options: EsdbTestServerOptions = {}) {
    this.log = options.log ?? newSeededLog();
    this.boundPort = options.port ?? 0;
    this.maxAppendBytes = options.maxAppendBytes ?? DEFAULT_MAX_APPEND_BYTES;
  }

  get port(): number {
    return this.boundPort;
  }

  /** Connection string for the client: one insecure node, no discovery. */
  get connectionString(): string {
    return `esdb://127.0.0.1:${this.boundPort}?tls=false`;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  /** Starts listening; after `stop()`, starts again on the same port with the same log. */
  async start(): Promise<void> {
    if (this.server) return;
    const server = new grpc.Server();
    server.addService(StreamsService, this.streamsImplementation());
    server.addService(ServerFeaturesService, {
      getSupportedMethods: (_call: unknown, callback: grpc.sendUnaryData<SupportedMethods>) => callback(null, supportedMethods()),
    });
    this.boundPort = await new Promise<number>((resolve, reject) => {
      server.bindAsync(`127.0.0.1:${this.boundPort}`, grpc.ServerCredentials.createInsecure(), (error, port) =>
        error ? reject(error) : resolve(port),
      );
    });
    this.server = server;
  }

  /** Drops every connection and stops listening, as a crashed or restarted node would; the log stays. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const call of this.openCalls) call.destroy();
    this.openCalls.clear();
    server.forceShutdown();
  }

  /** Makes the next calls to Append or Read fail, one fault per call, in order. */
  injectFaults(...faults: FaultKind[]): void {
    this.faults.push(...faults);
  }

  private takeFault(): grpc.ServiceError | undefined {
    const fault = this.faults.shift();
    if (!fault) return undefined;
    return faultError(fault, this.boundPort);
  }

  private streamsImplementation(): grpc.UntypedServiceImplementation {
    const unimplemented = (_call: unknown, callback?: grpc.sendUnaryData<unknown>) => {
      const error = serviceError(grpc.status.UNIMPLEMENTED, 'Not supported by the EventStoreDB test server');
      if (typeof callback === 'function') callback(error);
    };
    return {
      append: (call: grpc.ServerReadableStream<AppendReq, AppendResp>, callback: grpc.sendUnaryData<AppendResp>) =>
        this.handleAppend(call, callback),
      read: (call: grpc.ServerWritableStream<unknown, unknown>) => {
        const fault = this.takeFault();
        if (fault) {
          // grpc-js ends a server-streaming call with this status when 'error' is emitted on it.
          call.emit('error', fault);
          return;
        }
        this.openCalls.add(call);
        call.on('close', () => this.openCalls.delete(call));
        handleRead(this.log, call as never);
      },
      delete: unimplemented,
      tombstone: unimplemented,
      batchAppend: (call: grpc.ServerDuplexStream<unknown, unknown>) =>
        call.emit('error', serviceError(grpc.status.UNIMPLEMENTED, 'BatchAppend is not supported by the EventStoreDB test server')),
    };
  }

  private handleAppend(call: grpc.ServerReadableStream<AppendReq, AppendResp>, callback: grpc.sendUnaryData<AppendResp>): void {
    const messages: AppendReq[] = [];
    call.on('data', (message: AppendReq) => messages.push(message));
    call.on('error', () => undefined);
    call.on('end', () => {
      const fault = this.takeFault();
      if (fault) {
        callback(fault);
        return;
      }
      try {
        callback(null, this.append(messages));
      } catch (error) {
        callback(error as grpc.ServiceError);
      }
    });
  }

  private append(messages: AppendReq[]): AppendResp {
    const [header, ...rest] = messages;
    const options = header?.getOptions();
    if (!options) throw serviceError(grpc.status.INVALID_ARGUMENT, 'The first Append message must carry the options');
    const streamName = Buffer.from(options.getStreamIdentifier()?.getStreamName_asU8() ?? []).toString('utf8');

    const events = rest.map((message) => proposedEvent(message));
    const bytes = events.reduce((sum, event) => sum + event.data.length + event.customMetadata.length, 0);
    if (bytes > this.maxAppendBytes) throw maxAppendSizeError(this.maxAppendBytes);

    return appendResponse(this.log.append(streamName, expectedState(options), events));
  }
}

/** Starts a test server on an ephemeral port of 127.0.0.1. */
export async function startEsdbTestServer(options: EsdbTestServerOptions = {}): Promise<EsdbTestServer> {
  const server = new EsdbTestServer(options);
  await server.start();
  return server;
}

function newSeededLog(): InMemoryEventLog {
  const log = new InMemoryEventLog();
  seedSystemEvents(log);
  return log;
}

function proposedEvent(message: AppendReq): ProposedEvent {
  const proposed = message.getProposedMessage();
  if (!proposed) throw serviceError(grpc.status.INVALID_ARGUMENT, 'Append messages after the first must carry an event');
  const metadata = proposed.getMetadataMap();
  const type = metadata.get('type');
  const contentType = metadata.get('content-type');
  if (!type || !contentType) {
    throw requiredMetadataError(!type ? 'type' : 'content-type');
  }
  return {
    id: uuidText(proposed.getId()),
    type,
    contentType,
    data: proposed.getData_asU8(),
    customMetadata: proposed.getCustomMetadata_asU8(),
  };
}

function uuidText(uuid: ReturnType<AppendReq.ProposedMessage['getId']>): string {
  if (!uuid) throw serviceError(grpc.status.INVALID_ARGUMENT, 'An event has no id');
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

function expectedState(options: AppendReq.Options): ExpectedState {
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

function supportedMethods(): SupportedMethods {
  const methods = ['Read', 'Append'].map((name) => {
    const method = new SupportedMethod();
    method.setServiceName('event_store.client.streams.Streams');
    method.setMethodName(name);
    return method;
  });
  const result = new SupportedMethods();
  result.setEventStoreServerVersion(SERVER_VERSION);
  result.setMethodsList(methods);
  return result;
}

export function serviceError(code: grpc.status, details: string, metadata = new grpc.Metadata()): grpc.ServiceError {
  return Object.assign(new Error(details), { code, details, metadata });
}

function maxAppendSizeError(maxAppendBytes: number): grpc.ServiceError {
  const metadata = new grpc.Metadata();
  metadata.set('exception', 'maximum-append-size-exceeded');
  metadata.set('maximum-append-size', String(maxAppendBytes));
  return serviceError(grpc.status.INVALID_ARGUMENT, `Maximum Append Size of ${maxAppendBytes} Exceeded.`, metadata);
}

function requiredMetadataError(property: string): grpc.ServiceError {
  const metadata = new grpc.Metadata();
  metadata.set('exception', 'missing-required-metadata-property');
  metadata.set('required-metadata-properties', property);
  return serviceError(grpc.status.INVALID_ARGUMENT, `Required metadata property ${property} is missing`, metadata);
}

function faultError(kind: FaultKind, port: number): grpc.ServiceError {
  switch (kind) {
    case 'unavailable':
      return serviceError(grpc.status.UNAVAILABLE, 'Server Is Not Ready');
    case 'deadline-exceeded':
      return serviceError(grpc.status.DEADLINE_EXCEEDED, 'Operation timed out');
    case 'not-leader': {
      // A single node names itself as the leader, so the client reconnects to the same address.
      const metadata = new grpc.Metadata();
      metadata.set('exception', 'not-leader');
      metadata.set('leader-endpoint-host', '127.0.0.1');
      metadata.set('leader-endpoint-port', String(port));
      return serviceError(grpc.status.NOT_FOUND, 'Leader info available', metadata);
    }
  }
}

