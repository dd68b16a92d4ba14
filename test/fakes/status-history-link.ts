import type { CameraStatusPayload } from '../../agent/link/contract/v1.js';
import { MemoryStationLink } from './memory-link.js';

/** A link that keeps every camera status it was given, in order (the retained topic's history). */
export class StatusHistoryLink extends MemoryStationLink {
  readonly history: CameraStatusPayload[] = [];
  override setCameraStatus(status: CameraStatusPayload): void {
    this.history.push(status);
    super.setCameraStatus(status);
  }
}
