/**
 * Brings a PostgreSQL database to the schema this version needs, with node-pg-migrate: the
 * versions are the files in ./migrations (applied in name order, recorded in `pgmigrations`,
 * one transaction, under an advisory lock so consoles starting together migrate once).
 */
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import type { Logger } from '../../core/logger.js';

const DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/** Migrations: `up` to the newest (or `count` steps), `down` by `count` steps. Returns the names run. */
export async function migrate(databaseUrl: string, logger: Logger, options: { direction?: 'up' | 'down'; count?: number } = {}): Promise<string[]> {
  const ran = await runner({
    databaseUrl,
    dir: DIR,
    // Compiled migrations sit next to their source maps (and tests read the .ts sources).
    ignorePattern: '(\\..*)|(.*\\.map)|(.*\\.d\\.ts)',
    migrationsTable: 'pgmigrations',
    direction: options.direction ?? 'up',
    ...(options.count === undefined ? {} : { count: options.count }),
    checkOrder: true,
    singleTransaction: true,
    advisoryLockMode: 'wait',
    // Its errors are thrown as well: the caller reports them once.
    logger: { debug: () => undefined, info: (m: string) => logger.debug(m), warn: (m: string) => logger.warn(m), error: (m: string) => logger.debug(m) },
  });
  for (const migration of ran) logger.info({ migration: migration.name }, 'database migrated');
  return ran.map((m) => m.name);
}
