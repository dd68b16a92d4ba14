/**
 * Version 2: indexes for the investigator's search (village, camera, label, alert/quiet, each
 * with the time order the results come in), messages by arrival (a restarted console's seq
 * accounting reads the last day); every host with events gets a `hosts` row, which the
 * restore at start walks (each host's newest events through `events_host_sort`).
 */
import type { MigrationBuilder } from 'node-pg-migrate';

export function up(pgm: MigrationBuilder): void {
  pgm.sql(`
    CREATE INDEX events_host_sort ON events (host, sort_at DESC, event_id);
    CREATE INDEX events_camera_sort ON events (host, camera, sort_at DESC, event_id);
    CREATE INDEX events_label_sort ON events (label, sort_at DESC);
    CREATE INDEX events_alert_sort ON events (alert, sort_at DESC);
    CREATE INDEX event_messages_received ON event_messages (received_at);
    CREATE INDEX health_messages_received ON health_messages (received_at);
    INSERT INTO hosts (host) SELECT DISTINCT host FROM events ON CONFLICT DO NOTHING;
  `);
}

export function down(pgm: MigrationBuilder): void {
  pgm.sql('DROP INDEX events_host_sort, events_camera_sort, events_label_sort, events_alert_sort, event_messages_received, health_messages_received');
}
