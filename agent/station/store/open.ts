/** Opens the engine `--db` names: a postgres:// URL, or else the path of a SQLite file. */
import { AgentError, errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { redact } from '../subscriber.js';
import { PostgresStore } from './postgres.js';
import { SqliteStore } from './sqlite.js';
import type { StationStore } from './store.js';

export function isPostgresUrl(db: string): boolean {
  return /^postgres(?:ql)?:\/\//.test(db);
}

/** `keep`: events the SQLite engine keeps (PostgreSQL keeps all: its retention is the operator's). */
export async function openStore(db: string, keep: number, logger: Logger): Promise<StationStore> {
  if (!isPostgresUrl(db)) return new SqliteStore(db, keep, logger);
  try {
    return await PostgresStore.open(db, logger);
  } catch (err) {
    // The URL may carry a password: it is shown redacted, and the cause without the URL.
    throw new AgentError('station.database', `cannot open the database ${redact(db)}: ${errorMessage(err)}`);
  }
}
