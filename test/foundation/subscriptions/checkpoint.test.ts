import {
  ListenerSources,
  allCheckpoint,
  fromStoredCheckpoint,
  isAfterCheckpoint,
  sourceKeyOf,
  streamCheckpoint,
  toStoredCheckpoint,
} from '../../../src/foundation';
import type { RecordedEvent } from '../../../src/persistence/stream-store';

const event = (revision: number, position: bigint): RecordedEvent => ({
  streamName: 's-1',
  revision,
  position,
  eventId: 'e',
  type: 'T',
  data: '{}',
  metadata: '{}',
  created: new Date(0),
});

describe('checkpoints', () => {
  it('round-trips through JSON with a bigint position stored as a string', () => {
    const big = allCheckpoint(2n ** 70n);
    const json = JSON.stringify(toStoredCheckpoint(big));
    expect(json).toBe('{"kind":"all","position":"1180591620717411303424"}');
    expect(fromStoredCheckpoint(JSON.parse(json))).toEqual(big);
    expect(fromStoredCheckpoint(JSON.parse(JSON.stringify(toStoredCheckpoint(streamCheckpoint(7)))))).toEqual(
      streamCheckpoint(7),
    );
  });

  it('rejects malformed stored checkpoints (stored data is untrusted)', () => {
    for (const bad of [
      null,
      'x',
      { kind: 'all', position: 5 },
      { kind: 'all', position: '-1' },
      { kind: 'stream', revision: -1 },
      { kind: 'stream', revision: 1.5 },
      { kind: 'other' },
    ]) {
      expect(() => fromStoredCheckpoint(bad)).toThrow(/checkpoint/);
    }
  });

  it('is exclusive: an event is after a checkpoint only when strictly later', () => {
    expect(isAfterCheckpoint(event(3, 100n), undefined)).toBe(true);
    expect(isAfterCheckpoint(event(3, 100n), streamCheckpoint(3))).toBe(false);
    expect(isAfterCheckpoint(event(4, 100n), streamCheckpoint(3))).toBe(true);
    expect(isAfterCheckpoint(event(0, 100n), allCheckpoint(100n))).toBe(false);
    expect(isAfterCheckpoint(event(0, 164n), allCheckpoint(100n))).toBe(true);
  });

  it('keys sources stably', () => {
    expect(sourceKeyOf(ListenerSources.stream('account-1'))).toBe('stream:account-1');
    expect(sourceKeyOf(ListenerSources.category('account'))).toBe('category:account');
    expect(sourceKeyOf(ListenerSources.eventType('B', 'A'))).toBe(
      sourceKeyOf(ListenerSources.eventType('A', 'B')),
    );
    expect(sourceKeyOf(ListenerSources.all())).toBe('$all');
    expect(() => ListenerSources.category('a-b')).toThrow();
    expect(() => ListenerSources.stream(' ')).toThrow();
    expect(() => ListenerSources.eventType()).toThrow();
  });
});
