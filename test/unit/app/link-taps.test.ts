import { describe, expect, it } from 'vitest';
import { tapLink } from '../../../agent/app/link-taps.js';
import type { StationLink } from '../../../agent/link/contract/link.js';
import { MemoryStationLink } from '../../fakes/memory-link.js';

describe('the tapped link the stages get', () => {
  it("passes the link's PUBACK reports through, so the clip pacer measures the uplink in the real agent", () => {
    const memory = new MemoryStationLink();
    const answers: { op: string; listener: (ms: number | undefined, bytes: number) => void }[] = [];
    const acked: ((ms: number, bytes: number) => void)[] = [];
    const link: StationLink = Object.assign(memory, {
      onAnswerSent: (op: string, listener: (ms: number | undefined, bytes: number) => void) => { answers.push({ op, listener }); },
      onPublishAcked: (listener: (ms: number, bytes: number) => void) => { acked.push(listener); },
    });
    const tapped = tapLink(link, {});
    const heard: string[] = [];
    tapped.onAnswerSent?.('events/clip', (ms, bytes) => heard.push(`answer ${ms} ${bytes}`));
    tapped.onPublishAcked?.((ms, bytes) => heard.push(`acked ${ms} ${bytes}`));
    answers[0]?.listener(12, 1800);
    acked[0]?.(1, 300);
    expect(answers.map((a) => a.op)).toEqual(['events/clip']);
    expect(heard).toEqual(['answer 12 1800', 'acked 1 300']);
  });

  it('leaves them out when the link has none (the pacer then knows it gets no acknowledgements)', () => {
    const tapped = tapLink(new MemoryStationLink(), {});
    expect('onAnswerSent' in tapped).toBe(false);
    expect('onPublishAcked' in tapped).toBe(false);
  });
});
