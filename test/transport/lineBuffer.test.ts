import fc from 'fast-check';
import { LineBuffer, type LineEvent } from '../../src/transport/lineBuffer';

/** Events as comparable plain values: decoded lines, or 'overflow'. */
type Seen = string | { overflow: number };

function show(events: LineEvent[]): Seen[] {
  return events.map((e) => (e.kind === 'line' ? e.bytes.toString('utf8') : { overflow: e.limit }));
}

/** Pushes `input` cut at `cuts` (sorted byte offsets), then ends. */
function feed(input: Buffer, cuts: number[], maxLineBytes = 1024): Seen[] {
  const buffer = new LineBuffer({ maxLineBytes });
  const events: LineEvent[] = [];
  let start = 0;
  for (const cut of [...cuts, input.length]) {
    events.push(...buffer.push(input.subarray(start, cut)));
    start = cut;
  }
  events.push(...buffer.end());
  return show(events);
}

/** The specification, written the slow obvious way. */
function reference(input: Buffer, maxLineBytes: number): Seen[] {
  const out: Seen[] = [];
  const segments: Buffer[] = [];
  let start = 0;
  for (let i = input.indexOf(10); i !== -1; i = input.indexOf(10, start)) {
    segments.push(input.subarray(start, i));
    start = i + 1;
  }
  segments.push(input.subarray(start));
  for (const segment of segments) {
    const line = segment[segment.length - 1] === 13 ? segment.subarray(0, -1) : segment;
    if (line.length > maxLineBytes) {
      out.push({ overflow: maxLineBytes });
    } else if (!/^[ \t\n\v\f\r]*$/.test(line.toString('latin1'))) {
      out.push(line.toString('utf8'));
    }
  }
  return out;
}

describe('LineBuffer', () => {
  const grin = '\u{1F600}'; // 4 bytes in UTF-8
  const input = Buffer.from(`{"a":"${grin}"}\r\n\n   \t\r\n{"b":"é"}\n\r\n{"c":1}`, 'utf8');
  const expected = [`{"a":"${grin}"}`, '{"b":"é"}', '{"c":1}'];

  it('splits lines, strips CR, skips blank and whitespace-only lines', () => {
    expect(feed(input, [])).toEqual(expected);
  });

  it('gives the same lines for every single split point, including inside a 4-byte character', () => {
    for (let cut = 0; cut <= input.length; cut++) {
      expect(feed(input, [cut])).toEqual(expected);
    }
  });

  it('gives the same lines for every pair of split points', () => {
    for (let a = 0; a <= input.length; a++) {
      for (let b = a; b <= input.length; b++) {
        expect(feed(input, [a, b])).toEqual(expected);
      }
    }
  });

  it('gives the same lines fed one byte at a time', () => {
    const cuts = Array.from({ length: input.length - 1 }, (_, i) => i + 1);
    expect(feed(input, cuts)).toEqual(expected);
  });

  it('keeps CR inside a line and strips only one trailing CR', () => {
    expect(feed(Buffer.from('a\rb\r\r\nc'), [])).toEqual(['a\rb\r', 'c']);
  });

  it('treats a lone CR line as blank', () => {
    expect(feed(Buffer.from('\r\n\r\nx\n'), [])).toEqual(['x']);
  });

  it('accepts Uint8Array views that are not Buffers', () => {
    const bytes = new Uint8Array([0, 0, 0x78, 0x0a, 0x79, 0]).subarray(2, 5);
    const buffer = new LineBuffer({ maxLineBytes: 10 });
    expect(show(buffer.push(bytes))).toEqual(['x']);
    expect(show(buffer.end())).toEqual(['y']);
  });

  describe('end of input', () => {
    it('emits a non-empty unterminated last line', () => {
      const buffer = new LineBuffer({ maxLineBytes: 100 });
      expect(show(buffer.push(Buffer.from('one\ntw')))).toEqual(['one']);
      expect(show(buffer.push(Buffer.from('o')))).toEqual([]);
      expect(show(buffer.end())).toEqual(['two']);
      expect(buffer.bufferedBytes).toBe(0);
    });

    it('emits nothing after a terminated last line', () => {
      const buffer = new LineBuffer({ maxLineBytes: 100 });
      expect(show(buffer.push(Buffer.from('one\n')))).toEqual(['one']);
      expect(buffer.end()).toEqual([]);
    });

    it('strips a trailing CR and skips a whitespace-only tail', () => {
      expect(feed(Buffer.from('one\r'), [])).toEqual(['one']);
      expect(feed(Buffer.from('one\n  \t'), [])).toEqual(['one']);
    });

    it('emits nothing more for an overflowing unterminated tail', () => {
      const buffer = new LineBuffer({ maxLineBytes: 4 });
      expect(show(buffer.push(Buffer.from('ok\n123456')))).toEqual(['ok', { overflow: 4 }]);
      expect(buffer.end()).toEqual([]);
    });
  });

  describe('over-long lines', () => {
    const limit = 16;

    it('drops a long line with one overflow event and delivers the next line', () => {
      const long = 'x'.repeat(100);
      const data = Buffer.from(`${long}\n{"next":true}\n`);
      for (let chunkSize = 1; chunkSize <= data.length; chunkSize++) {
        const buffer = new LineBuffer({ maxLineBytes: limit });
        const events: LineEvent[] = [];
        for (let at = 0; at < data.length; at += chunkSize) {
          events.push(...buffer.push(data.subarray(at, at + chunkSize)));
          // Never more than the limit (plus a CR that may start a CRLF).
          expect(buffer.bufferedBytes).toBeLessThanOrEqual(limit + 1);
        }
        events.push(...buffer.end());
        expect(show(events)).toEqual([{ overflow: limit }, '{"next":true}']);
      }
    });

    it('reports the overflow as soon as the held part passes the limit, before the newline', () => {
      const buffer = new LineBuffer({ maxLineBytes: limit });
      expect(buffer.push(Buffer.from('y'.repeat(limit)))).toEqual([]);
      expect(show(buffer.push(Buffer.from('y')))).toEqual([{ overflow: limit }]);
      expect(buffer.bufferedBytes).toBe(0);
      expect(buffer.push(Buffer.from('y'.repeat(1000)))).toEqual([]);
      expect(buffer.bufferedBytes).toBe(0);
      expect(show(buffer.push(Buffer.from('y\nz\n')))).toEqual(['z']);
    });

    it('accepts a line of exactly the limit, with LF or with CRLF split anywhere', () => {
      const exact = 'e'.repeat(limit);
      for (const ending of ['\n', '\r\n']) {
        const data = Buffer.from(`${exact}${ending}after\n`);
        for (let cut = 0; cut <= data.length; cut++) {
          expect(feed(data, [cut], limit)).toEqual([exact, 'after']);
        }
      }
    });

    it('rejects a line of limit + 1 bytes however it is split', () => {
      const data = Buffer.from(`${'f'.repeat(limit + 1)}\r\nafter\n`);
      for (let cut = 0; cut <= data.length; cut++) {
        expect(feed(data, [cut], limit)).toEqual([{ overflow: limit }, 'after']);
      }
    });

    it('counts bytes, not characters', () => {
      const fourChars = '\u{1F600}'.repeat(4); // 16 bytes
      expect(feed(Buffer.from(`${fourChars}\n`), [], 16)).toEqual([fourChars]);
      expect(feed(Buffer.from(`${fourChars}\n`), [], 15)).toEqual([{ overflow: 15 }]);
    });
  });

  it('matches the reference splitter for any input and any chunking', () => {
    const byte = fc.constantFrom(0x0a, 0x0d, 0x20, 0x09, 0x61, 0x7b, 0xf0, 0x9f, 0x98, 0x80);
    fc.assert(
      fc.property(
        fc.array(byte, { maxLength: 80 }),
        fc.array(fc.nat({ max: 80 }), { maxLength: 8 }),
        fc.integer({ min: 1, max: 12 }),
        (bytes, rawCuts, limit) => {
          const data = Buffer.from(bytes);
          const cuts = rawCuts.map((c) => Math.min(c, data.length)).sort((a, b) => a - b);
          expect(feed(data, cuts, limit)).toEqual(reference(data, limit));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => new LineBuffer({ maxLineBytes: 0 })).toThrow(RangeError);
    expect(() => new LineBuffer({ maxLineBytes: 1.5 })).toThrow(RangeError);
  });
});
