import { AnswerLedger } from '../../src/transport/answerLedger';

describe('AnswerLedger', () => {
  it('hands back each request for its first answer only', () => {
    const ledger = new AnswerLedger<string>();
    ledger.sent(1, 'a');
    ledger.sent(2, 'b');
    expect(ledger.take(2)).toBe('b');
    expect(ledger.take(2)).toBeUndefined();
    expect(ledger.take(1)).toBe('a');
    expect(ledger.take(1)).toBeUndefined();
  });

  it('knows nothing of ids never sent, or sent before clear()', () => {
    const ledger = new AnswerLedger<string>();
    expect(ledger.take(7)).toBeUndefined();
    ledger.sent('x', 'a');
    ledger.clear();
    expect(ledger.take('x')).toBeUndefined();
  });
});
