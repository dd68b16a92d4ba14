import { createHash } from 'node:crypto';

/**
 * The journal's framing: `MAGIC | length (u32 BE) | checksum (8 bytes) | payload`. The checksum
 * (a sha256 prefix of the payload) tells a whole record from a torn or corrupted one; the magic
 * lets the reader find the next record after damage instead of giving up on the rest of a file.
 */
const MAGIC = Buffer.from('MWO1', 'latin1');
const HEADER_BYTES = 16;
/** Far above any record the outbox writes (images are stored as blobs, not in the journal). */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

export function encodeRecord(payload: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt32BE(payload.length, 4);
  checksum(payload).copy(header, 8);
  return Buffer.concat([header, payload]);
}

export interface DecodedFile {
  payloads: Buffer[];
  /** Byte ranges that held no valid record (torn tail, corruption). */
  damaged: { offset: number; bytes: number }[];
}

/** Reads every valid record of a journal file, skipping damaged stretches. Never throws. */
export function decodeRecords(data: Buffer): DecodedFile {
  const payloads: Buffer[] = [];
  const damaged: DecodedFile['damaged'] = [];
  let offset = 0;
  let damageStart: number | undefined;
  while (offset < data.length) {
    const payload = recordAt(data, offset);
    if (payload === undefined) {
      damageStart ??= offset;
      const next = data.indexOf(MAGIC, offset + 1);
      offset = next === -1 ? data.length : next;
      continue;
    }
    if (damageStart !== undefined) damaged.push({ offset: damageStart, bytes: offset - damageStart });
    damageStart = undefined;
    payloads.push(payload);
    offset += HEADER_BYTES + payload.length;
  }
  if (damageStart !== undefined) damaged.push({ offset: damageStart, bytes: data.length - damageStart });
  return { payloads, damaged };
}

function recordAt(data: Buffer, offset: number): Buffer | undefined {
  if (offset + HEADER_BYTES > data.length || !data.subarray(offset, offset + 4).equals(MAGIC)) return undefined;
  const length = data.readUInt32BE(offset + 4);
  const end = offset + HEADER_BYTES + length;
  if (length > MAX_RECORD_BYTES || end > data.length) return undefined;
  const payload = data.subarray(offset + HEADER_BYTES, end);
  return checksum(payload).equals(data.subarray(offset + 8, offset + HEADER_BYTES)) ? payload : undefined;
}

function checksum(payload: Buffer): Buffer {
  return createHash('sha256').update(payload).digest().subarray(0, 8);
}
