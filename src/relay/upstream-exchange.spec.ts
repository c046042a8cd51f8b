import type { Dispatcher } from 'undici';
import { ClientGoneError, UpstreamExchange } from './upstream-exchange';

function controller(): Dispatcher.DispatchController & { abortedWith?: Error; pauses: number } {
  const c = {
    pauses: 0,
    abortedWith: undefined as Error | undefined,
    get aborted() {
      return c.abortedWith !== undefined;
    },
    get paused() {
      return false;
    },
    get reason() {
      return c.abortedWith ?? null;
    },
    abort(reason: Error) {
      c.abortedWith = reason;
    },
    pause() {
      c.pauses++;
    },
    resume() {},
  };
  return c;
}

describe('UpstreamExchange', () => {
  it('keeps chunks that arrive before the body is asked for (undici may deliver a whole answer in one go)', async () => {
    const x = new UpstreamExchange();
    const c = controller();
    x.onRequestStart(c);
    x.onResponseStart(c, 200, { 'content-type': 'application/json' });
    x.onResponseData(c, Buffer.from('{"a":'));
    expect(x.bodyNow()).toBeUndefined(); // not complete yet
    x.onResponseData(c, Buffer.from('1}'));
    x.onResponseEnd();
    expect(x.bodyNow()?.toString()).toBe('{"a":1}');
    await expect(x.headers).resolves.toBe(x);
    expect(x.statusCode).toBe(200);
    expect((await x.body()).toString()).toBe('{"a":1}');
  });

  it('hands buffered then live chunks to a pipe sink in order, and pauses when the sink says so', async () => {
    const x = new UpstreamExchange();
    const c = controller();
    x.onRequestStart(c);
    x.onResponseStart(c, 200, {});
    x.onResponseData(c, Buffer.from('a'));
    const seen: string[] = [];
    const done = x.pipe((chunk) => {
      seen.push(chunk.toString());
      return seen.length !== 2;
    });
    x.onResponseData(c, Buffer.from('b'));
    x.onResponseData(c, Buffer.from('c'));
    x.onResponseEnd();
    await done;
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(c.pauses).toBe(1);
  });

  it('rejects the headers on a network error, and the body on a cut after the headers', async () => {
    const early = new UpstreamExchange();
    early.onResponseError(controller(), new Error('ECONNREFUSED'));
    await expect(early.headers).rejects.toThrow('ECONNREFUSED');

    const late = new UpstreamExchange();
    const c = controller();
    late.onRequestStart(c);
    late.onResponseStart(c, 200, {});
    late.onResponseData(c, Buffer.from('data: 1\n\n'));
    const piped = late.pipe(() => true);
    late.onResponseError(c, new Error('socket hang up'));
    await expect(piped).rejects.toThrow('socket hang up');
  });

  it('abort before the request starts aborts it at start; pending promises reject with ClientGoneError', async () => {
    const x = new UpstreamExchange();
    x.abort();
    const c = controller();
    x.onRequestStart(c);
    expect(c.abortedWith).toBeInstanceOf(ClientGoneError);
    x.onResponseError(c, new Error('aborted'));
    await expect(x.headers).rejects.toBeInstanceOf(ClientGoneError);
  });
});
