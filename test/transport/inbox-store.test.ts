import { InMemoryInboxStore } from '../../src/transport';

describe('InMemoryInboxStore', () => {
  it('runs the effect once per consumer and message id', async () => {
    const inbox = new InMemoryInboxStore();
    let runs = 0;
    const effect = () => ++runs;
    expect(await inbox.handleOnce('a', 'm1', effect)).toEqual({ status: 'handled', result: 1 });
    expect(await inbox.handleOnce('a', 'm1', effect)).toEqual({ status: 'duplicate' });
    expect(await inbox.handleOnce('b', 'm1', effect)).toEqual({ status: 'handled', result: 2 });
    expect(inbox.duplicates).toBe(1);
  });

  it('leaves no record when the effect fails, so the redelivery runs it again', async () => {
    const inbox = new InMemoryInboxStore();
    await expect(inbox.handleOnce('a', 'm1', () => Promise.reject(new Error('boom')))).rejects.toThrow(
      'boom',
    );
    expect(await inbox.handleOnce('a', 'm1', () => 'ok')).toEqual({ status: 'handled', result: 'ok' });
  });

  it('runs concurrent deliveries of one id once', async () => {
    const inbox = new InMemoryInboxStore();
    let runs = 0;
    const slow = async () => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 20));
    };
    const outcomes = await Promise.all([inbox.handleOnce('a', 'm', slow), inbox.handleOnce('a', 'm', slow)]);
    expect(runs).toBe(1);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['duplicate', 'handled']);
  });

  it('is bounded: by entries per consumer and by age', async () => {
    const inbox = new InMemoryInboxStore({ maxEntriesPerConsumer: 3 });
    for (const id of ['1', '2', '3', '4']) await inbox.handleOnce('a', id, () => undefined);
    expect(inbox.size('a')).toBe(3);
    expect((await inbox.handleOnce('a', '1', () => 'again')).status).toBe('handled'); // forgotten: handled again
    expect(await inbox.prune(new Date(Date.now() + 1_000))).toBe(3);
    expect(inbox.size('a')).toBe(0);
  });
});
