import * as grpc from '@grpc/grpc-js';
import { StreamsService } from '@eventstore/db-client/generated/streams_grpc_pb';
import { ServerFeaturesService } from '@eventstore/db-client/generated/serverfeatures_grpc_pb';
import { SupportedMethod, SupportedMethods } from '@eventstore/db-client/generated/serverfeatures_pb';
import type { AppendReq, AppendResp, BatchAppendReq, BatchAppendResp } from '@eventstore/db-client/generated/streams_pb';
import { InMemoryEventLog, seedSystemEvents } from './event-log';
import { handleAppend, handleBatchAppend, serviceError, type AppendContext } from './append-handler';
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
  /**
   * Whether ServerFeatures offers BatchAppend, which the client then uses for
   * every append (EventStoreDB 21.10 and later do). Default true; false makes
   * the client fall back to the older Append call.
   */
  batchAppend?: boolean;
}

/**
 * A single-node EventStoreDB stand-in that speaks the gRPC calls
 * `@eventstore/db-client` makes (ServerFeatures, Streams.Append, BatchAppend, Read)
 * on 127.0.0.1 without TLS. A test tool: it keeps everything in memory.
 */
export class EsdbTestServer {
  readonly log: InMemoryEventLog;
  private server: grpc.Server | undefined;
  private boundPort: number;
  private readonly maxAppendBytes: number;
  private readonly batchAppend: boolean;
  private readonly faults: FaultKind[] = [];
  /** Calls received per Streams method, so tests can tell which one the client used. */
  readonly callCounts = { append: 0, batchAppend: 0, read: 0 };
  /** Calls that stay open (reads, subscriptions, BatchAppend), ended by `stop()`. */
  private readonly openCalls = new Set<{ destroy(error?: Error): void }>();

  constructor(options: EsdbTestServerOptions = {}) {
    this.log = options.log ?? newSeededLog();
    this.boundPort = options.port ?? 0;
    this.maxAppendBytes = options.maxAppendBytes ?? DEFAULT_MAX_APPEND_BYTES;
    this.batchAppend = options.batchAppend ?? true;
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
      getSupportedMethods: (_call: unknown, callback: grpc.sendUnaryData<SupportedMethods>) =>
        callback(null, supportedMethods(this.batchAppend)),
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
    const appendContext: AppendContext = {
      log: this.log,
      maxAppendBytes: this.maxAppendBytes,
      takeFault: () => this.takeFault(),
    };
    return {
      append: ((call: grpc.ServerReadableStream<AppendReq, AppendResp>, callback: grpc.sendUnaryData<AppendResp>) => {
        this.callCounts.append += 1;
        handleAppend(appendContext, call, callback);
      }) as grpc.handleClientStreamingCall<AppendReq, AppendResp>,
      read: (call: grpc.ServerWritableStream<unknown, unknown>) => {
        this.callCounts.read += 1;
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
      batchAppend: ((call: grpc.ServerDuplexStream<BatchAppendReq, BatchAppendResp>) => {
        this.callCounts.batchAppend += 1;
        this.openCalls.add(call);
        call.on('close', () => this.openCalls.delete(call));
        if (this.batchAppend) handleBatchAppend(appendContext, call);
        else call.emit('error', serviceError(grpc.status.UNIMPLEMENTED, 'BatchAppend is switched off on this test server'));
      }) as grpc.handleBidiStreamingCall<BatchAppendReq, BatchAppendResp>,
    };
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

function supportedMethods(batchAppend: boolean): SupportedMethods {
  const names = batchAppend ? ['Read', 'Append', 'BatchAppend'] : ['Read', 'Append'];
  const methods = names.map((name) => {
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

