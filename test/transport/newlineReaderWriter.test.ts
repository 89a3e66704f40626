import { PassThrough, Writable } from 'node:stream';
import { createMessageConnection, RequestType, type Message } from 'vscode-jsonrpc/node';
import { NewlineMessageReader, NewlineMessageWriter, withJsonText, type RejectedLine } from '../../src/transport';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Starts a reader on a fresh PassThrough and records everything it reports, in order. */
function startReader(maxLineBytes = 1024) {
  const input = new PassThrough();
  const reader = new NewlineMessageReader(input, { maxLineBytes });
  const seen: Array<{ message: Message } | { rejected: RejectedLine } | 'close' | { error: string }> = [];
  reader.onRejectedLine((rejected) => seen.push({ rejected }));
  reader.onError((error) => seen.push({ error: error.message }));
  const closed = new Promise<void>((resolve) =>
    reader.onEnd(() => {
      seen.push('close');
      resolve();
    }),
  );
  return { input, reader, seen, closed };
}

/** Collects everything written to a PassThrough as text. */
function collect(stream: PassThrough): { text: () => string } {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('NewlineMessageReader', () => {
  it('delivers messages and rejections in arrival order, then reports the end of input', async () => {
    const { input, reader, seen, closed } = startReader(64);
    reader.listen((message) => seen.push({ message }));
    input.write('{"jsonrpc":"2.0","id":1,"method":"a"}\n');
    input.write('not json\n\n   \r\n');
    input.write('[{"jsonrpc":"2.0","id":2,"method":"b"}]\r\n');
    input.write(`{"jsonrpc":"2.0","id":3,"method":"${'x'.repeat(100)}"}\n`);
    input.write('{"jsonrpc":"1.0","id":"q","method":"c"}\n');
    input.end('{"jsonrpc":"2.0","method":"last"}');
    await closed;
    expect(seen).toEqual([
      { message: { jsonrpc: '2.0', id: 1, method: 'a' } },
      { rejected: { code: -32700, message: 'Parse error: invalid JSON', id: null } },
      { rejected: { code: -32600, message: 'Invalid Request: batches are not supported', id: null } },
      { rejected: { code: -32600, message: 'Invalid Request: message exceeds 64 bytes', id: null } },
      { rejected: { code: -32600, message: 'Invalid Request: jsonrpc must be "2.0"', id: 'q' } },
      { message: { jsonrpc: '2.0', method: 'last' } },
      'close',
    ]);
  });

  it('reassembles a message whose chunks split a multi-byte character', async () => {
    const { input, reader, seen, closed } = startReader();
    reader.listen((message) => seen.push({ message }));
    const bytes = Buffer.from('{"jsonrpc":"2.0","method":"m","params":["\u{1F600}"]}\n');
    const inside = bytes.indexOf(0xf0) + 2;
    input.write(bytes.subarray(0, inside));
    await tick();
    input.end(bytes.subarray(inside));
    await closed;
    expect(seen).toEqual([{ message: { jsonrpc: '2.0', method: 'm', params: ['\u{1F600}'] } }, 'close']);
  });

  it('reports stream errors on onError', async () => {
    const { input, reader, seen } = startReader();
    reader.listen(() => undefined);
    input.destroy(new Error('boom'));
    await tick();
    expect(seen).toContainEqual({ error: 'boom' });
  });

  it('keeps reading when the consumer throws', async () => {
    const { input, reader, seen, closed } = startReader();
    reader.listen((message) => {
      if ((message as { method?: string }).method === 'bad') {
        throw new Error('handler failed');
      }
      seen.push({ message });
    });
    input.end('{"jsonrpc":"2.0","method":"bad"}\n{"jsonrpc":"2.0","method":"good"}\n');
    await closed;
    expect(seen).toEqual([{ error: 'handler failed' }, { message: { jsonrpc: '2.0', method: 'good' } }, 'close']);
  });

  it('pauses and resumes the underlying stream', async () => {
    const { input, reader, seen } = startReader();
    reader.pause();
    reader.listen((message) => seen.push({ message }));
    input.write('{"jsonrpc":"2.0","method":"one"}\n');
    await tick();
    expect(seen).toEqual([]);
    expect(input.isPaused()).toBe(true);
    reader.resume();
    await tick();
    expect(seen).toEqual([{ message: { jsonrpc: '2.0', method: 'one' } }]);
    reader.pause();
    input.write('{"jsonrpc":"2.0","method":"two"}\n');
    await tick();
    expect(seen).toHaveLength(1);
    reader.resume();
    await tick();
    expect(seen).toHaveLength(2);
  });

  it('removes its listeners on dispose', () => {
    const { input, reader } = startReader();
    reader.listen(() => undefined);
    expect(input.listenerCount('data')).toBe(1);
    reader.dispose();
    for (const event of ['data', 'end', 'close', 'error']) {
      expect(input.listenerCount(event)).toBe(0);
    }
  });
});

describe('NewlineMessageWriter', () => {
  it('writes exactly one JSON object per line, even with newlines and separators in strings', async () => {
    const output = new PassThrough();
    const out = collect(output);
    const writer = new NewlineMessageWriter(output);
    const messages: Message[] = [
      { jsonrpc: '2.0', id: 1, method: 'a', params: { text: 'line1\nline2\r\n', sep: '\u2028\u2029' } } as Message,
      { jsonrpc: '2.0', id: 1, result: { ok: true } } as Message,
    ];
    await Promise.all(messages.map((m) => writer.write(m)));
    await writer.flush();
    const text = out.text();
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    expect(lines).toHaveLength(2);
    expect(lines.map((line) => JSON.parse(line))).toEqual(messages);
    expect(text).not.toMatch(/[\r\u2028\u2029]/);
  });

  it('coalesces the writes of one tick into one stream.write', async () => {
    const output = new PassThrough();
    const out = collect(output);
    const writer = new NewlineMessageWriter(output);
    const spy = jest.spyOn(output, 'write');
    const sent = [1, 2, 3].map((id) => writer.write({ jsonrpc: '2.0', id, result: id } as Message));
    expect(spy).not.toHaveBeenCalled();
    await Promise.all(sent);
    expect(spy).toHaveBeenCalledTimes(1);
    await writer.write({ jsonrpc: '2.0', id: 4, result: 4 } as Message);
    expect(spy).toHaveBeenCalledTimes(2);
    await writer.flush();
    expect(out.text().split('\n').filter(Boolean).map((l) => JSON.parse(l).id)).toEqual([1, 2, 3, 4]);
  });

  it('holds a batch while holdWhile says more lines are coming, within its bounds', async () => {
    const output = new PassThrough();
    const out = collect(output);
    let moreComing = true;
    const writer = new NewlineMessageWriter(output, { holdWhile: () => moreComing, maxBatchLines: 3, maxHoldTurns: 1000, maxHoldMs: Number.POSITIVE_INFINITY });
    const spy = jest.spyOn(output, 'write');
    void writer.write({ jsonrpc: '2.0', id: 1, result: 1 } as Message);
    await tick();
    await tick();
    expect(spy).not.toHaveBeenCalled();
    void writer.write({ jsonrpc: '2.0', id: 2, result: 2 } as Message);
    await tick();
    expect(spy).not.toHaveBeenCalled();
    moreComing = false;
    await tick();
    await tick();
    expect(spy).toHaveBeenCalledTimes(1);
    moreComing = true;
    await Promise.all([3, 4, 5].map((id) => writer.write({ jsonrpc: '2.0', id, result: id } as Message)));
    expect(spy).toHaveBeenCalledTimes(2); // a full batch goes at once
    void writer.write({ jsonrpc: '2.0', id: 6, result: 6 } as Message);
    await writer.flush(); // flush never waits for holdWhile
    expect(out.text().split('\n').filter(Boolean).map((l) => JSON.parse(l).id)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('writes each full batch (maxBatchLines) at once, so the reader can start on it', async () => {
    const output = new PassThrough();
    const out = collect(output);
    const writer = new NewlineMessageWriter(output, { maxBatchLines: 2 });
    const spy = jest.spyOn(output, 'write');
    const sent = [1, 2, 3, 4, 5].map((id) => writer.write({ jsonrpc: '2.0', id, result: id } as Message));
    // No turn has passed: lines 1-2 and 3-4 went out; 5 waits for the end of the turn.
    expect(spy.mock.calls.map((call) => String(call[0]).split('\n').filter(Boolean).length)).toEqual([2, 2]);
    await Promise.all(sent);
    await writer.flush();
    expect(spy).toHaveBeenCalledTimes(3);
    expect(out.text().split('\n').filter(Boolean).map((l) => JSON.parse(l).id)).toEqual([1, 2, 3, 4, 5]);
  });

  it('writes at once, with whatever is held, when holdWhile says nothing more is coming', () => {
    const output = new PassThrough();
    const out = collect(output);
    let moreComing = true;
    const writer = new NewlineMessageWriter(output, { holdWhile: () => moreComing, maxHoldMs: Number.POSITIVE_INFINITY });
    const spy = jest.spyOn(output, 'write');
    void writer.write({ jsonrpc: '2.0', id: 1, result: 1 } as Message);
    expect(spy).not.toHaveBeenCalled();
    moreComing = false;
    void writer.write({ jsonrpc: '2.0', id: 2, result: 2 } as Message);
    // No turn has passed: both lines went out in one write.
    expect(spy).toHaveBeenCalledTimes(1);
    expect(String(spy.mock.calls[0]![0])).toBe('{"jsonrpc":"2.0","id":1,"result":1}\n{"jsonrpc":"2.0","id":2,"result":2}\n');
    void out;
  });

  it('holds a batch for at most maxHoldMs', async () => {
    const output = new PassThrough();
    const writer = new NewlineMessageWriter(output, { holdWhile: () => true, maxHoldTurns: 1_000_000, maxHoldMs: 0 });
    const spy = jest.spyOn(output, 'write');
    await writer.write({ jsonrpc: '2.0', id: 1, result: 1 } as Message);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('holds a batch for at most maxHoldTurns turns', async () => {
    const output = new PassThrough();
    const writer = new NewlineMessageWriter(output, { holdWhile: () => true, maxHoldTurns: 2, maxHoldMs: Number.POSITIVE_INFINITY });
    const spy = jest.spyOn(output, 'write');
    await writer.write({ jsonrpc: '2.0', id: 1, result: 1 } as Message);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('signals backpressure, and flush() waits for drain', async () => {
    const pending: Array<() => void> = [];
    const received: string[] = [];
    const slow = new Writable({
      highWaterMark: 16,
      write(chunk: Buffer, _encoding, callback) {
        received.push(chunk.toString());
        pending.push(() => callback());
      },
    });
    const writer = new NewlineMessageWriter(slow);
    const signals: boolean[] = [];
    writer.onBackpressure((blocked) => signals.push(blocked));

    await writer.write({ jsonrpc: '2.0', method: 'big', params: { pad: 'p'.repeat(64) } } as Message);
    expect(signals).toEqual([true]);
    expect(writer.blocked).toBe(true);

    let flushed = false;
    const flushing = writer.flush().then(() => {
      flushed = true;
    });
    await tick();
    expect(flushed).toBe(false);

    pending.shift()?.();
    await flushing;
    expect(signals).toEqual([true, false]);
    expect(writer.blocked).toBe(false);
    expect(received).toHaveLength(1);
  });

  it('flush() writes what is queued without waiting for the next tick', async () => {
    const output = new PassThrough();
    const out = collect(output);
    const writer = new NewlineMessageWriter(output);
    void writer.write({ jsonrpc: '2.0', method: 'now' } as Message);
    await writer.flush();
    expect(out.text()).toBe('{"jsonrpc":"2.0","method":"now"}\n');
  });

  it('drops writes silently on a destroyed stream and reports the error once', async () => {
    const output = new PassThrough();
    const writer = new NewlineMessageWriter(output);
    const errors: Error[] = [];
    writer.onError(([error]) => errors.push(error));
    output.destroy();
    const spy = jest.spyOn(output, 'write');
    await expect(writer.write({ jsonrpc: '2.0', method: 'a' } as Message)).resolves.toBeUndefined();
    await tick();
    await expect(writer.write({ jsonrpc: '2.0', method: 'b' } as Message)).resolves.toBeUndefined();
    await writer.flush();
    await writer.end();
    await tick();
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(/destroyed/);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(writer.blocked).toBe(false);
  });

  it('stops writing after a stream error such as EPIPE and unblocks waiters', async () => {
    const pending: Array<() => void> = [];
    const slow = new Writable({
      highWaterMark: 4,
      write(_chunk, _encoding, callback) {
        pending.push(() => callback());
      },
    });
    const writer = new NewlineMessageWriter(slow);
    const errors: Error[] = [];
    const signals: boolean[] = [];
    writer.onError(([error]) => errors.push(error));
    writer.onBackpressure((blocked) => signals.push(blocked));
    await writer.write({ jsonrpc: '2.0', method: 'a' } as Message);
    const flushing = writer.flush();
    const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    slow.destroy(epipe);
    await flushing;
    await writer.write({ jsonrpc: '2.0', method: 'b' } as Message);
    await tick();
    expect(errors.map((e) => e.message)).toEqual(['write EPIPE']);
    expect(signals).toEqual([true, false]);
  });

  it('end() flushes and then ends the stream', async () => {
    const output = new PassThrough();
    const out = collect(output);
    const ended = new Promise((resolve) => output.on('end', resolve));
    const writer = new NewlineMessageWriter(output);
    void writer.write({ jsonrpc: '2.0', method: 'bye' } as Message);
    await writer.end();
    await ended;
    expect(out.text()).toBe('{"jsonrpc":"2.0","method":"bye"}\n');
  });

  it('sends a body marked withJsonText as that text, in the same line JSON.stringify would write', async () => {
    const out = new PassThrough();
    const seen = collect(out);
    const writer = new NewlineMessageWriter(out);
    const params = { b: 'x\u2028y', a: 1 };
    const result = { ok: true };
    const messages = [
      { jsonrpc: '2.0', id: 7, method: 'call', params: withJsonText(params, JSON.stringify(params)) },
      { jsonrpc: '2.0', method: 'job/status', params: withJsonText({ n: 1 }, '{"n":1}') },
      { jsonrpc: '2.0', id: 'r1', result: withJsonText(result, JSON.stringify(result)) },
    ] as unknown as Message[];
    for (const message of messages) void writer.write(message);
    await writer.flush();
    const expected = messages.map((m) => JSON.stringify(m).replace('\u2028', '\\u2028')).join('\n') + '\n';
    expect(seen.text()).toBe(expected);
  });

  it('writes the attached text, not the object: the bytes that were signed', async () => {
    const out = new PassThrough();
    const seen = collect(out);
    const writer = new NewlineMessageWriter(out);
    // Members in another order than the object's, and an error response, which ignores the mark.
    void writer.write({ jsonrpc: '2.0', id: 1, method: 'm', params: withJsonText({ b: 2, a: 1 }, '{"a":1,"b":2}') } as Message);
    void writer.write({ jsonrpc: '2.0', id: 2, error: { code: 1, message: 'no', data: withJsonText({ z: 1 }, '{}') } } as Message);
    await writer.flush();
    expect(seen.text()).toBe('{"jsonrpc":"2.0","id":1,"method":"m","params":{"a":1,"b":2}}\n{"jsonrpc":"2.0","id":2,"error":{"code":1,"message":"no","data":{"z":1}}}\n');
  });

  it('rejects a message that cannot be serialized without breaking the writer', async () => {
    const output = new PassThrough();
    const out = collect(output);
    const writer = new NewlineMessageWriter(output);
    await expect(writer.write({ jsonrpc: '2.0', method: 'x', params: [BigInt(1)] } as unknown as Message)).rejects.toThrow();
    await writer.write({ jsonrpc: '2.0', method: 'y' } as Message);
    await writer.flush();
    expect(out.text()).toBe('{"jsonrpc":"2.0","method":"y"}\n');
  });
});

describe('round trip through createMessageConnection', () => {
  it('serves requests and notifications over two PassThrough pairs', async () => {
    const clientToServer = new PassThrough();
    const serverToClient = new PassThrough();
    const server = createMessageConnection(
      new NewlineMessageReader(clientToServer, { maxLineBytes: 1 << 20 }),
      new NewlineMessageWriter(serverToClient),
    );
    const client = createMessageConnection(
      new NewlineMessageReader(serverToClient, { maxLineBytes: 1 << 20 }),
      new NewlineMessageWriter(clientToServer),
    );
    const sum = new RequestType<{ numbers: number[] }, { total: number }, void>('sum');
    const notes: unknown[] = [];
    server.onRequest(sum, async ({ numbers }) => {
      await server.sendNotification('progress', { done: numbers.length });
      return { total: numbers.reduce((a, b) => a + b, 0) };
    });
    client.onNotification('progress', (params) => {
      notes.push(params);
    });
    server.listen();
    client.listen();

    const results = await Promise.all([
      client.sendRequest(sum, { numbers: [1, 2, 3] }),
      client.sendRequest(sum, { numbers: [10, 20] }),
    ]);
    expect(results).toEqual([{ total: 6 }, { total: 30 }]);
    await expect(client.sendRequest('nope')).rejects.toMatchObject({ code: -32601 });
    expect(notes).toEqual([{ done: 3 }, { done: 2 }]);

    client.dispose();
    server.dispose();
  });
});
