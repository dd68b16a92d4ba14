/** Opens the engine `--db` names: a postgres:// URL, or else the path of a SQLite file. */
import type { Logger } from '../../core/logger.js';
import { PostgresStore } from './postgres.js';
import { SqliteStore } from './sqlite.js';
import type { StationStore } from './store.js';

export function isPostgresUrl(db: string): boolean {
  return /^postgres(?:ql)?:\/\//.test(db);
}

/** `keep`: events the SQLite engine keeps (PostgreSQL keeps all: its retention is the operator's). */
export async function openStore(db: string, keep: number, logger: Logger): Promise<StationStore> {
  return isPostgresUrl(db) ? PostgresStore.open(db, logger) : new SqliteStore(db, keep, logger);
}
