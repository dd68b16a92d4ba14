import { describeStationLink } from '../../../helpers/station-link-contract.js';
import { MemoryStationLink } from '../../../fakes/memory-link.js';
import { waitFor } from '../../../helpers/cli.js';

describeStationLink('in-memory link', () => {
  const link = new MemoryStationLink();
  return Promise.resolve({
    link,
    events: async (count: number) => {
      await waitFor(() => link.events.length >= count, 1000, `${count} events`);
      return link.events.map((e) => ({ ...e }));
    },
    request: (op: string, request: Record<string, unknown>) => link.request(op, request),
    close: () => Promise.resolve(),
  });
});
