import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The development and CI PostgreSQL (trust auth, user postgres); `.ci/run` starts it. */
export const POSTGRES = 'postgres://postgres@127.0.0.1:5432';

/** A database of its own for one test: created empty, dropped (with its connections) by `drop`. */
export interface TestDatabase {
  url: string;
  name: string;
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `minwang_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = `${POSTGRES}/${name}`;
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  // `drop` ends the pool and then drops the database WITH (FORCE): a connection still closing then gets
  // the server's "terminating connection", which would otherwise be an uncaught error of the run.
  pool.on('error', () => undefined);
  return {
    url,
    name,
    query: (sql, values) => pool.query(sql, values),
    async drop() {
      await pool.end();
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${POSTGRES}/postgres` });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
