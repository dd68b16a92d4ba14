/**
 * Version 3: the whole picture of alerting events (`events/<id>/frame`): one privacy-masked full
 * frame per event, with the object's box on that frame, for the event page.
 */
import type { MigrationBuilder } from 'node-pg-migrate';

export function up(pgm: MigrationBuilder): void {
  pgm.sql(`
    CREATE TABLE frames (
      host text NOT NULL,
      event_id text NOT NULL,
      jpeg bytea NOT NULL,
      box jsonb NOT NULL,
      width integer NOT NULL,
      height integer NOT NULL,
      captured_at text NOT NULL,
      received_at timestamptz NOT NULL,
      PRIMARY KEY (host, event_id)
    );
  `);
}

export function down(pgm: MigrationBuilder): void {
  pgm.sql('DROP TABLE frames');
}
