import { describe, expect, it } from 'vitest';
import { csvCell, csvRow, parseEventQuery } from '../../../../agent/station/store/search.js';

const parse = (q: string) => parseEventQuery(new URLSearchParams(q));

describe('event search parameters', () => {
  it('reads every filter, with times in UTC unless a zone is given', () => {
    expect(parse('host=xicun-01&camera=gate&label=ebike&kind=quiet&from=2026-11-30T08:00&to=2026-11-30T16:00%2B08:00&limit=20')).toEqual({
      host: 'xicun-01', camera: 'gate', label: 'ebike', alert: false,
      from: new Date('2026-11-30T08:00:00Z'), to: new Date('2026-11-30T08:00:00Z'), limit: 20,
    });
    expect(parse('from=2026-11-30').from).toEqual(new Date('2026-11-30T00:00:00Z'));
    expect(parse('')).toEqual({ limit: 50 });
  });

  it.each([
    ['host=Xi Cun', /host=.*a host id/],
    ['camera=../etc', /camera=/],
    ['kind=maybe', /kind=.*"alert" or "quiet"/],
    ['from=yesterday', /from=.*a time like/],
    ['to=2026-13-45T99:00', /to=/],
    ['limit=100000', /limit=.*1 to 500/],
    ['after=garbage', /after=.*cursor/],
  ])('refuses %s with a message naming it', (q, message) => {
    expect(() => parse(q)).toThrow(message);
  });
});

describe('CSV export', () => {
  it('quotes every cell and defuses formulas', () => {
    expect(csvCell('person')).toBe('"person"');
    expect(csvCell('say "hi", ok')).toBe('"say ""hi"", ok"');
    for (const formula of ['=HYPERLINK("http://evil")', '+1+1', '-2+3', '@SUM(A1)', '\t=1', '\r=1']) {
      expect(csvCell(formula)).toBe(`"'${formula.replace(/"/g, '""')}"`);
    }
  });

  it('writes one line per event with the acknowledgement', () => {
    const row = csvRow({
      key: 'h1/e1', host: 'h1', id: 'e1', camera: 'gate', label: '=cmd|calc', score: 0.5, maxScore: 0.875, box: [0, 0, 1, 1], zones: [],
      startedAt: '2026-11-30T08:00:00.000Z', sortAt: '2026-11-30T08:00:00.000Z', endedAt: null, type: 'new', ts: '2026-11-30T08:00:00.000Z', seq: 1,
      thumbnail: true, alert: true, quiet: null, delayed: false, ack: { by: 'alice', at: '2026-11-30T08:01:00.000Z' },
    });
    expect(row).toBe('"h1","gate","e1","\'=cmd|calc","0.875","true","","2026-11-30T08:00:00.000Z","","false","alice","2026-11-30T08:01:00.000Z"\r\n');
  });
});
