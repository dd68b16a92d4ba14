import type { CommandRun } from '../contract/link.js';
import type { CommandOp, EventQueryParams } from '../contract/v1.js';
import type { Config } from '../../config/schema.js';
import type { Clock } from '../../ports/clock.js';
import type { EventQueryResult } from '../outbox/event-log.js';
import { CommandError } from './dispatcher.js';
import { redactObject } from './redact.js';

export interface BuiltinDeps {
  config: Config;
  version: string;
  clock: Clock;
  /** Monotonic ms when the agent started. */
  startedAt: number;
  session: () => number;
  /** Republishes every retained message; returns how many. */
  rebirth: () => number;
  queryEvents: (params: EventQueryParams) => Promise<EventQueryResult>;
}

type Register = <Op extends CommandOp>(op: Op, run: CommandRun<Op>) => void;

/** The commands the link answers itself: ping, rebirth, events/query, config/get. */
export function registerBuiltins(register: Register, deps: BuiltinDeps): void {
  register('ping', () => Promise.resolve({
    host: deps.config.host.id,
    session: deps.session(),
    uptimeS: Math.round((deps.clock.monotonicMs() - deps.startedAt) / 1000),
    version: deps.version,
  }));
  register('rebirth', () => {
    const republished = deps.rebirth();
    if (republished === 0) throw new CommandError('unavailable', 'not connected to the broker');
    return Promise.resolve({ republished });
  });
  register('events/query', async (params) => {
    if (params.from !== undefined && params.to !== undefined && Date.parse(params.from) > Date.parse(params.to)) {
      throw new CommandError('bad_request', '"from" is after "to"');
    }
    return deps.queryEvents(params);
  });
  register('config/get', () => Promise.resolve(redactObject(deps.config)));
}
