import { LaneCutError, SerialLanes, sendInTurn, StaleBatchError } from './serial-lanes';

const NEVER_STALE = Number.MAX_SAFE_INTEGER;

describe('sendInTurn with epochs: a failed batch cuts the rest of its epoch', () => {
  afterEach(() => jest.useRealTimers());

  it('does not send the batches of the failed epoch staged behind it, and sends the next epoch', async () => {
    const lanes = new SerialLanes();
    const sent: string[] = [];
    const send = (name: string) => () => (sent.push(name), Promise.resolve());
    const failing = sendInTurn(lanes, 0, NEVER_STALE, () => Promise.reject(new Error('Connection error')), 3);
    const staged = [
      sendInTurn(lanes, 0, NEVER_STALE, send('same epoch'), 3),
      sendInTurn(lanes, 0, NEVER_STALE, send('same epoch again'), 3),
    ];
    const next = sendInTurn(lanes, 0, NEVER_STALE, send('next epoch'), 4);
    const otherLane = sendInTurn(lanes, 1, NEVER_STALE, send('other lane'), 3);
    await expect(failing).rejects.toThrow('Connection error');
    for (const batch of staged) await expect(batch).rejects.toBeInstanceOf(LaneCutError);
    await expect(next).resolves.toBeUndefined();
    await expect(otherLane).resolves.toBeUndefined();
    expect(sent).toEqual(['other lane', 'next epoch']);
    // The failure of a newer epoch cuts that one in turn; an older one stays cut.
    await expect(sendInTurn(lanes, 0, NEVER_STALE, send('old'), 2)).rejects.toBeInstanceOf(LaneCutError);
    await expect(sendInTurn(lanes, 0, NEVER_STALE, send('still 4'), 4)).resolves.toBeUndefined();
  });

  it('cuts the epoch of a batch that went stale while it waited', async () => {
    jest.useFakeTimers();
    const lanes = new SerialLanes();
    let release!: () => void;
    const first = sendInTurn(lanes, 0, Date.now() + 60_000, () => new Promise<void>((r) => (release = r)), 0);
    const stale = sendInTurn(lanes, 0, Date.now() + 20, () => Promise.resolve(), 0);
    const send = jest.fn(() => Promise.resolve());
    const behind = sendInTurn(lanes, 0, Date.now() + 60_000, send, 0);
    jest.advanceTimersByTime(40);
    release();
    await first;
    await expect(stale).rejects.toBeInstanceOf(StaleBatchError);
    await expect(behind).rejects.toBeInstanceOf(LaneCutError);
    expect(send).not.toHaveBeenCalled();
  });

  it('cuts nothing for callers without epochs', async () => {
    const lanes = new SerialLanes();
    const failing = sendInTurn(lanes, 0, NEVER_STALE, () => Promise.reject(new Error('no')));
    const next = sendInTurn(lanes, 0, NEVER_STALE, () => Promise.resolve());
    await expect(failing).rejects.toThrow('no');
    await expect(next).resolves.toBeUndefined();
  });
});
