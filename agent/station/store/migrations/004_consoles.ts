/**
 * Version 4: the consoles sharing the event streams, so each can find the others' session locks
 * (`agent/station/store/console-sessions.ts`) and take over a gone console's broker session.
 */
import type { MigrationBuilder } from 'node-pg-migrate';

export function up(pgm: MigrationBuilder): void {
  pgm.sql(`
    CREATE TABLE consoles (
      client_id text PRIMARY KEY,
      share_group text NOT NULL,
      seen_at timestamptz NOT NULL
    );
    CREATE INDEX consoles_group ON consoles (share_group, seen_at);
  `);
}

export function down(pgm: MigrationBuilder): void {
  pgm.sql('DROP TABLE consoles');
}
