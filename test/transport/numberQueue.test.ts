import { NumberQueue } from '../../src/transport/numberQueue';

describe('NumberQueue', () => {
  it('gives values back oldest first across wrap-arounds and growth, and 0 when empty', () => {
    const queue = new NumberQueue();
    const model: number[] = [];
    let next = 1;
    // Interleave pushes and shifts so the ring wraps before, during and after growing past 64.
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < (round % 7) * 9; i++) {
        queue.push(next);
        model.push(next++);
      }
      for (let i = 0; i < (round % 5) * 11; i++) expect(queue.shift()).toBe(model.shift() ?? 0);
    }
    while (model.length > 0) expect(queue.shift()).toBe(model.shift());
    expect(queue.shift()).toBe(0);
  });
});
