import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { sendWithoutDelay } from '../../../agent/ports/mqtt.js';

/** A transport that records what was asked of Nagle's algorithm. */
class FakeSocket {
  readonly noDelay: (boolean | undefined)[] = [];
  setNoDelay(noDelay?: boolean): void {
    this.noDelay.push(noDelay);
  }
}

class FakeClient extends EventEmitter {
  stream: unknown = new FakeSocket();
}

describe('the MQTT connections the agent and the station open', () => {
  it('turn Nagle off on every connection, reconnections included', () => {
    const client = new FakeClient();
    sendWithoutDelay(client);
    const first = client.stream as FakeSocket;
    client.emit('connect');
    expect(first.noDelay).toEqual([true]);
    // mqtt.js opens a new socket on every reconnect.
    const second = new FakeSocket();
    client.stream = second;
    client.emit('connect');
    expect(second.noDelay).toEqual([true]);
    expect(first.noDelay).toEqual([true]);
  });

  it('leave a transport without the setting alone (WebSocket streams)', () => {
    const client = new FakeClient();
    client.stream = {};
    sendWithoutDelay(client);
    expect(() => client.emit('connect')).not.toThrow();
  });
});
