import type { SqlExecutor } from '../infrastructure/database';
import type { RecordedEvent } from './port';
import { EVENT_COLUMNS, toRecordedEvent, type EventRow } from './sql-rows';

const READ_STREAM_SQL = `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = $1 AND revision >= $2 ORDER BY revision`;

// Reads several streams in one statement; `request_no` tells the requests apart.
const READ_STREAMS_SQL = `
SELECT r.request_no, ${EVENT_COLUMNS.split(', ')
  .map((column) => `e.${column}`)
  .join(', ')}
  FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS r(stream_id, from_revision, request_no)
  JOIN events e ON e.stream_id = r.stream_id AND e.revision >= r.from_revision
 ORDER BY r.request_no, e.revision`;

interface PendingRead {
  streamId: string;
  fromRevision: number;
  resolve(events: RecordedEvent[]): void;
  reject(error: unknown): void;
}

/**
 * Groups whole-stream reads that arrive while `maxConcurrentStatements` reads
 * are running into one statement, as a DataLoader does. A read that arrives
 * while fewer are running goes out at once, alone. Every read sees the
 * streams as committed when its statement started, which is after the read
 * was requested.
 */
export class ReadBatcher {
  private readonly queue: PendingRead[] = [];
  private running = 0;

  constructor(
    private readonly db: SqlExecutor,
    private readonly maxConcurrentStatements: number,
    private readonly maxReadsPerStatement = 100,
  ) {}

  read(streamId: string, fromRevision: number): Promise<RecordedEvent[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ streamId, fromRevision, resolve, reject });
      this.startStatements();
    });
  }

  private startStatements(): void {
    while (this.running < this.maxConcurrentStatements && this.queue.length > 0) {
      const group = this.queue.splice(0, this.maxReadsPerStatement);
      this.running += 1;
      void this.runGroup(group).finally(() => {
        this.running -= 1;
        this.startStatements();
      });
    }
  }

  private async runGroup(group: PendingRead[]): Promise<void> {
    try {
      if (group.length === 1) {
        const [pending] = group as [PendingRead];
        const result = await this.db.query<EventRow>(READ_STREAM_SQL, [pending.streamId, pending.fromRevision], {
          name: 'eventstore_read_stream',
        });
        pending.resolve(result.rows.map(toRecordedEvent));
        return;
      }

      const result = await this.db.query<EventRow & { request_no: string | number }>(
        READ_STREAMS_SQL,
        [group.map((pending) => pending.streamId), group.map((pending) => pending.fromRevision)],
        { name: 'eventstore_read_streams' },
      );
      const byRequest = group.map((): RecordedEvent[] => []);
      for (const row of result.rows) byRequest[Number(row.request_no) - 1]!.push(toRecordedEvent(row));
      group.forEach((pending, index) => pending.resolve(byRequest[index]!));
    } catch (error) {
      for (const pending of group) pending.reject(error);
    }
  }
}
