import { SeqOrder } from '../../src/client/sequencer';

const item = (seq: number) => ({ seq });
const seqs = (items: Array<{ seq: number }>) => items.map((i) => i.seq);

describe('SeqOrder', () => {
  it('passes items through in order', () => {
    const order = new SeqOrder();
    expect(seqs(order.push(item(1)))).toEqual([1]);
    expect(seqs(order.push(item(2)))).toEqual([2]);
    expect(order.expected).toBe(3);
  });

  it('drops duplicates, delivered or held', () => {
    const order = new SeqOrder();
    order.push(item(1));
    expect(order.push(item(1))).toEqual([]);
    expect(order.push(item(3))).toEqual([]);
    expect(order.push(item(3))).toEqual([]);
    expect(seqs(order.push(item(2)))).toEqual([2, 3]);
  });

  it('holds items past a gap until it fills', () => {
    const order = new SeqOrder();
    expect(order.push(item(3))).toEqual([]);
    expect(order.push(item(2))).toEqual([]);
    expect(order.holding).toBe(true);
    expect(seqs(order.push(item(1)))).toEqual([1, 2, 3]);
    expect(order.holding).toBe(false);
  });

  it('flush gives up on gaps and continues after the last held item', () => {
    const order = new SeqOrder();
    order.push(item(1));
    order.push(item(5));
    order.push(item(3));
    expect(seqs(order.flush())).toEqual([3, 5]);
    expect(order.push(item(4))).toEqual([]);
    expect(seqs(order.push(item(6)))).toEqual([6]);
  });

  it('gives up on a gap once too many items wait behind it', () => {
    const order = new SeqOrder(3);
    order.push(item(2));
    order.push(item(3));
    order.push(item(4));
    expect(seqs(order.push(item(5)))).toEqual([2, 3, 4, 5]);
  });

  it('ignores seqs that are not positive integers', () => {
    const order = new SeqOrder();
    expect(order.push(item(0))).toEqual([]);
    expect(order.push(item(1.5))).toEqual([]);
    expect(order.push(item(Number.NaN))).toEqual([]);
  });
});
