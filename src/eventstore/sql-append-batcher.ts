import type { SqlExecutor } from '../infrastructure/database';
import { encodePosition, type AppendResult } from './port';
import { insertBatch } from './sql-append';
import { isDeadlock, isDuplicateEventId, isRevisionTaken } from './sql-errors';
import { EXPECTED_NO_STREAM, EXPECTED_STREAM_EXISTS } from './sql-migrations';
import type { AppendBatch } from './sql-rows';

// Appends to several streams in one statement and so in one transaction.
// Each stream's head is read from the statement's snapshot, exactly as the
// single-stream statement does, so each append is still checked on its own
// and later revisions of a stream still get higher transaction ids. A group
// never contains two appends to one stream. Rows are inserted in stream order,
// so two groups that race for the same revisions wait for each other in the
// same order and cannot deadlock.
const GROUP_APPEND_SQL = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::uuid[], $5::text[], $6::json[], $7::json[])
    AS i(stream_id, expected, ord, id, type, data, metadata)
), heads AS (
  SELECT s.stream_id, s.expected,
         (SELECT coalesce(max(e.revision), -1) FROM events e WHERE e.stream_id = s.stream_id) AS revision
    FROM (SELECT DISTINCT stream_id, expected FROM input) AS s
), accepted AS (
  SELECT h.stream_id, h.revision FROM heads h
   WHERE CASE WHEN h.expected >= 0 THEN h.revision = h.expected
              WHEN h.expected = ${EXPECTED_NO_STREAM} THEN h.revision = -1
              WHEN h.expected = ${EXPECTED_STREAM_EXISTS} THEN h.revision >= 0
              ELSE true END
)
INSERT INTO events (stream_id, revision, event_id, type, data, metadata)
SELECT i.stream_id, a.revision + i.ord, i.id, i.type, i.data, i.metadata
  FROM input i JOIN accepted a ON a.stream_id = i.stream_id
 ORDER BY i.stream_id, i.ord
RETURNING stream_id, revision, transaction_id::text AS transaction_text, seq`;

interface GroupRow {
  stream_id: string;
  revision: string | number;
  transaction_text: string;
  seq: string | number;
}

interface PendingAppend {
  streamId: string;
  batch: AppendBatch;
  expected: number;
  bytes: number;
  resolve(result: AppendResult | undefined): void;
  reject(error: unknown): void;
}

export interface AppendBatcherOptions {
  /** Append statements running at once; appends that arrive meanwhile wait and go together in the next one. */
  maxConcurrentStatements: number;
  /** Maximum number of appends in one statement. */
  maxAppendsPerStatement: number;
  /** Maximum characters of serialized events in one statement, so that a few large events do not make one huge statement. */
  maxBytesPerStatement: number;
}

/**
 * Groups appends that arrive while earlier ones are still running into one
 * statement, which costs one round trip and one commit for the whole group.
 * An append that arrives while fewer than `maxConcurrentStatements` are
 * running goes out at once, alone. Each append still succeeds or is rejected
 * on its own. When the group statement fails on a unique violation (a race
 * with another writer, or a duplicate event id), every append of the group
 * runs again alone, so that the failure reaches only the appends it concerns.
 * A deadlock, which the stream order of inserts should prevent, is handled
 * the same way.
 */
export class AppendBatcher {
  private readonly queue: PendingAppend[] = [];
  private running = 0;

  constructor(
    private readonly db: SqlExecutor,
    private readonly options: AppendBatcherOptions,
  ) {}

  /** Resolves like `insertBatch`: the result, or undefined when the stream was not in the expected state. */
  submit(streamId: string, batch: AppendBatch, expected: number): Promise<AppendResult | undefined> {
    const bytes = batch.data.reduce((sum, data, index) => sum + data.length + batch.metadata[index]!.length, 0);
    return new Promise((resolve, reject) => {
      this.queue.push({ streamId, batch, expected, bytes, resolve, reject });
      this.startStatements();
    });
  }

  private startStatements(): void {
    while (this.running < this.options.maxConcurrentStatements && this.queue.length > 0) {
      const group = this.takeGroup();
      this.running += 1;
      void this.runGroup(group).finally(() => {
        this.running -= 1;
        this.startStatements();
      });
    }
  }

  /** Takes queued appends in arrival order, at most one per stream, within the size limits. */
  private takeGroup(): PendingAppend[] {
    const group: PendingAppend[] = [];
    const streams = new Set<string>();
    let bytes = 0;
    for (let index = 0; index < this.queue.length && group.length < this.options.maxAppendsPerStatement; ) {
      const pending = this.queue[index]!;
      const fits = group.length === 0 || bytes + pending.bytes <= this.options.maxBytesPerStatement;
      if (streams.has(pending.streamId) || !fits) {
        index += 1;
        continue;
      }
      group.push(pending);
      streams.add(pending.streamId);
      bytes += pending.bytes;
      this.queue.splice(index, 1);
    }
    return group;
  }

  private async runGroup(group: PendingAppend[]): Promise<void> {
    if (group.length === 1) {
      await this.runAlone(group[0]!);
      return;
    }
    let rows: GroupRow[];
    try {
      rows = (await this.db.query<GroupRow>(GROUP_APPEND_SQL, groupParams(group), { name: 'eventstore_append_group' })).rows;
    } catch (error) {
      if (isRevisionTaken(error) || isDuplicateEventId(error) || isDeadlock(error)) {
        await Promise.all(group.map((pending) => this.runAlone(pending)));
      } else {
        for (const pending of group) pending.reject(error);
      }
      return;
    }
    const lastByStream = new Map<string, GroupRow>();
    for (const row of rows) {
      const last = lastByStream.get(row.stream_id);
      if (!last || Number(row.revision) > Number(last.revision)) lastByStream.set(row.stream_id, row);
    }
    for (const pending of group) {
      const last = lastByStream.get(pending.streamId);
      pending.resolve(
        last
          ? { nextRevision: Number(last.revision), position: encodePosition(BigInt(last.transaction_text), BigInt(last.seq)) }
          : undefined,
      );
    }
  }

  private async runAlone(pending: PendingAppend): Promise<void> {
    try {
      pending.resolve(await insertBatch(this.db, pending.streamId, pending.batch, pending.expected));
    } catch (error) {
      pending.reject(error);
    }
  }
}

/** One array per column, one element per event, for `GROUP_APPEND_SQL`. */
function groupParams(group: PendingAppend[]): unknown[] {
  const streamIds: string[] = [];
  const expected: number[] = [];
  const ordinals: number[] = [];
  const ids: string[] = [];
  const types: string[] = [];
  const data: string[] = [];
  const metadata: string[] = [];
  for (const pending of group) {
    pending.batch.ids.forEach((id, index) => {
      streamIds.push(pending.streamId);
      expected.push(pending.expected);
      ordinals.push(index + 1);
      ids.push(id);
      types.push(pending.batch.types[index]!);
      data.push(pending.batch.data[index]!);
      metadata.push(pending.batch.metadata[index]!);
    });
  }
  return [streamIds, expected, ordinals, ids, types, data, metadata];
}
