import { randomUUID } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';

export interface SessionRow {
  id: string;
  user_id: string;
  tracking_id: string;
  status: string;
  created_at: string;
}

/** Sessions in SQLite (Node's built-in driver): a file path, or in memory by default. */
export class SessionStore {
  private readonly db: DatabaseSync;
  private readonly insertRow;
  private readonly selectRow;

  constructor(path = ':memory:') {
    try {
      this.db = new DatabaseSync(path);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new Error(`cannot open the sessions database at "${path}" (DATABASE_PATH): ${reason}`, {
        cause: err,
      });
    }
    this.db.exec(`CREATE TABLE IF NOT EXISTS sessions (
      id TEXT PRIMARY KEY,
      user_id TEXT NOT NULL,
      tracking_id TEXT NOT NULL CHECK (length(tracking_id) = 32),
      status TEXT NOT NULL,
      created_at TEXT NOT NULL
    )`);
    this.insertRow = this.db.prepare(
      'INSERT INTO sessions (id, user_id, tracking_id, status, created_at) VALUES (?, ?, ?, ?, ?)',
    );
    this.selectRow = this.db.prepare(
      'SELECT id, user_id, tracking_id, status, created_at FROM sessions WHERE id = ?',
    );
  }

  create(userId: string, trackingId: string, status: string): SessionRow {
    const row: SessionRow = {
      id: randomUUID(),
      user_id: userId,
      tracking_id: trackingId,
      status,
      created_at: new Date().toISOString(),
    };
    this.insertRow.run(row.id, row.user_id, row.tracking_id, row.status, row.created_at);
    return row;
  }

  get(id: string): SessionRow | undefined {
    return this.selectRow.get(id) as SessionRow | undefined;
  }

  close(): void {
    this.db.close();
  }
}
