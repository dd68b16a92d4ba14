/**
 * Version 1 of the station's PostgreSQL schema: hosts and cameras (latest retained state), events
 * folded per tracked object with every lifecycle message kept, thumbnails, health, acknowledgements.
 * Keys make every write idempotent: a message is identified by (host, id, seq).
 */
import type { MigrationBuilder } from 'node-pg-migrate';

export function up(pgm: MigrationBuilder): void {
  pgm.sql(`
    CREATE TABLE hosts (
      host text PRIMARY KEY,
      status jsonb,
      heartbeat jsonb,
      model jsonb,
      last_seen_at timestamptz
    );
    CREATE TABLE cameras (
      host text NOT NULL,
      camera text NOT NULL,
      ts timestamptz NOT NULL,
      status jsonb NOT NULL,
      PRIMARY KEY (host, camera)
    );
    CREATE TABLE events (
      host text NOT NULL,
      event_id text NOT NULL,
      camera text NOT NULL,
      label text NOT NULL,
      score double precision NOT NULL,
      max_score double precision NOT NULL,
      box jsonb NOT NULL,
      zones jsonb NOT NULL,
      started_at text NOT NULL,
      sort_at timestamptz NOT NULL,
      ended_at text,
      type text NOT NULL,
      ts text NOT NULL,
      seq bigint NOT NULL,
      thumbnail boolean NOT NULL,
      alert boolean NOT NULL,
      quiet text,
      delayed boolean NOT NULL,
      ack_by text,
      ack_at text,
      PRIMARY KEY (host, event_id)
    );
    CREATE INDEX events_sort ON events (sort_at DESC, host, event_id);
    CREATE TABLE event_messages (
      host text NOT NULL,
      event_id text NOT NULL,
      seq bigint NOT NULL,
      type text NOT NULL,
      payload jsonb NOT NULL,
      received_at timestamptz NOT NULL,
      PRIMARY KEY (host, event_id, seq)
    );
    CREATE INDEX event_messages_host_seq ON event_messages (host, seq);
    CREATE TABLE thumbnails (
      host text NOT NULL,
      event_id text NOT NULL,
      jpeg bytea NOT NULL,
      received_at timestamptz NOT NULL,
      PRIMARY KEY (host, event_id)
    );
    CREATE TABLE health_messages (
      host text NOT NULL,
      health_id text NOT NULL,
      seq bigint NOT NULL,
      payload jsonb NOT NULL,
      received_at timestamptz NOT NULL,
      PRIMARY KEY (host, health_id, seq)
    );
    CREATE INDEX health_messages_host_seq ON health_messages (host, seq);
    CREATE TABLE health (
      host text NOT NULL,
      kind text NOT NULL,
      subject text NOT NULL,
      entry jsonb NOT NULL,
      ts timestamptz NOT NULL,
      raised boolean NOT NULL,
      PRIMARY KEY (host, kind, subject)
    );
  `);
}

export function down(pgm: MigrationBuilder): void {
  pgm.sql('DROP TABLE health, health_messages, thumbnails, event_messages, events, cameras, hosts');
}
