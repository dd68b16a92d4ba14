/** Plain mode (stdout not a terminal, no --json): one readable line per message that changed something. */
import type { Received } from '../subscriber.js';
import { clockTime } from './format.js';

export function logLine(received: Received, saved?: string): string | undefined {
  const time = clockTime(received.delivery.receivedAt.toISOString());
  if (!received.parsed.ok) return `${time} invalid ${received.topic}: ${received.parsed.error}`;
  if (received.result?.outcome !== 'applied') return undefined;
  const m = received.parsed.message;
  const late = received.result.delayed === true ? ' (delayed)' : '';
  switch (m.kind) {
    case 'status': return `${time} ${m.host} ${m.payload.state} (session ${m.payload.session})`;
    case 'heartbeat': return undefined;
    case 'cameraStatus': return `${time} ${m.host}/${m.camera} ${m.payload.state}${m.payload.reason === null ? '' : ` ${m.payload.reason}`}`;
    case 'event': return `${time} ${m.host}/${m.payload.camera} ${m.payload.type} ${m.payload.label} ${m.payload.score.toFixed(2)} id=${m.payload.id}${m.payload.alert ? ' ALERT' : ` quiet=${m.payload.quiet ?? '?'}`}${late}`;
    case 'thumbnail': return `${time} ${m.host} thumbnail ${m.eventId} ${m.jpeg.length} bytes${saved === undefined ? '' : ` -> ${saved}`}`;
    case 'health': return `${time} ${m.host} health ${m.payload.state} ${m.payload.kind} ${m.payload.subject}: ${m.payload.message}${late}`;
    case 'model': return `${time} ${m.host} model ${m.payload.installed?.id ?? 'none'} ${m.payload.update?.state ?? ''}`.trimEnd();
    case 'patrol': return `${time} ${m.host} patrol report ${m.payload.id}`;
    case 'patrolSheet': return `${time} ${m.host} contact sheet ${m.reportId}${saved === undefined ? '' : ` -> ${saved}`}`;
    case 'command':
    case 'clipChunk': return undefined;
  }
}
