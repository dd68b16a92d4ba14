/**
 * A long-lived part of the agent (camera poller, outbox, heartbeat...). Its constructor only
 * stores dependencies; `start` begins work and `stop` ends it, releasing every timer, socket
 * and child process it opened.
 */
export interface Module {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}
