/** Writes the feed, thumbnails and nothing else through to the console store as they change. */
import type { Logger } from '../../core/logger.js';
import { alertKey } from '../alerts.js';
import type { StationState } from '../state.js';
import type { StationSubscriber } from '../subscriber.js';
import type { ConsoleStore } from './store.js';

export function persistTo(store: ConsoleStore, state: StationState, subscriber: StationSubscriber, logger: Logger): () => void {
  const guarded = (what: string, write: () => void) => {
    try {
      write();
    } catch (err) {
      // A full disk must not take the live view down with it.
      logger.error({ err }, `could not store ${what}`);
    }
  };
  const offChange = state.onChange((change) => {
    if (change.kind !== 'alert') return;
    const entry = state.alert(change.key);
    if (entry !== undefined) guarded('an alert', () => store.saveAlert(entry));
  });
  const offReceived = subscriber.onReceived((received) => {
    const message = received.parsed.ok ? received.parsed.message : undefined;
    if (message?.kind === 'thumbnail') guarded('a thumbnail', () => store.saveThumbnail(alertKey(message.host, message.eventId), message.jpeg));
  });
  return () => {
    offChange();
    offReceived();
  };
}
