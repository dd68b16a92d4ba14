import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../agent/core/logger.js';
import type { Delivery, StationMessage } from '../../../../agent/station/messages.js';
import { StateWriter } from '../../../../agent/station/store/state-writer.js';
import { camera, event, msg, status, topic } from '../fixtures.js';

const delivery: Delivery = { receivedAt: new Date(0), retained: true };

/** A store whose writes finish when the test says so. */
function slowStore() {
  const written: StationMessage[] = [];
  const waiting: (() => void)[] = [];
  let failNext = false;
  const write = (message: StationMessage) => new Promise<void>((resolve, reject) => {
    waiting.push(() => {
      if (failNext) {
        failNext = false;
        reject(new Error('database down'));
      } else {
        written.push(message);
        resolve();
      }
    });
  });
  const finishOne = async () => {
    for (let i = 0; i < 10 && waiting.length === 0; i++) await Promise.resolve();
    waiting.shift()?.();
    await Promise.resolve();
  };
  return { written, write, finishOne, failNextWrite: () => { failNext = true; }, inFlight: () => waiting.length };
}

describe('StateWriter', () => {
  it('takes retained host state only', () => {
    expect(StateWriter.takes(msg(topic.status('h1'), status('online', 1)))).toBe(true);
    expect(StateWriter.takes(msg(topic.cameraStatus('h1', 'gate'), camera('gate', 'online', null)))).toBe(true);
    expect(StateWriter.takes(msg(topic.events('h1'), event('e1', 1)))).toBe(false);
  });

  it('writes one at a time and coalesces copies of one topic that wait into the newest', async () => {
    const store = slowStore();
    const writer = new StateWriter(store.write, silentLogger());
    writer.put(msg(topic.status('h1'), status('online', 1, 1)), delivery);
    for (let s = 2; s <= 5; s++) writer.put(msg(topic.status('h1'), status('online', 1, s)), delivery);
    writer.put(msg(topic.cameraStatus('h1', 'gate'), camera('gate', 'offline', 'timeout')), delivery);
    expect(store.inFlight()).toBe(1);
    for (let i = 0; i < 3; i++) await store.finishOne();
    await writer.idle();
    expect(store.written.map((m) => (m.kind === 'status' ? `status@${m.payload.ts.slice(17, 19)}` : m.kind))).toEqual(['status@01', 'status@05', 'cameraStatus']);
  });

  it('goes on after a failed write, and drops what waits when stopped', async () => {
    const store = slowStore();
    const writer = new StateWriter(store.write, silentLogger());
    store.failNextWrite();
    writer.put(msg(topic.status('h1'), status('online', 1)), delivery);
    writer.put(msg(topic.status('h2'), status('online', 1)), delivery);
    await store.finishOne();
    await store.finishOne();
    await writer.idle();
    expect(store.written.map((m) => m.host)).toEqual(['h2']);
    writer.put(msg(topic.status('h3'), status('online', 1)), delivery);
    writer.put(msg(topic.status('h4'), status('online', 1)), delivery);
    const stopped = writer.stop();
    await store.finishOne();
    await stopped;
    expect(store.written.map((m) => m.host)).toEqual(['h2', 'h3']);
  });
});
