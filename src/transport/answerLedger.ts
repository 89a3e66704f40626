/**
 * Which JSON-RPC requests still await their answer. vscode-jsonrpc queues
 * incoming responses by id and keeps the last of two with the same id, so a
 * second answer could override the first before the call sees either: the
 * client asks this ledger as each message is read, and only the first
 * answer to each request goes on.
 */
export class AnswerLedger<T> {
  private readonly awaiting = new Map<number | string, T>();

  /** A request went out with `id`; `request` is what the ledger hands back when its answer comes. */
  sent(id: number | string, request: T): void {
    this.awaiting.set(id, request);
  }

  /**
   * The request an answer with `id` is for, the first time that id is
   * answered; undefined for a second answer, or one to a request never sent.
   */
  take(id: number | string): T | undefined {
    const request = this.awaiting.get(id);
    if (request !== undefined) this.awaiting.delete(id);
    return request;
  }

  /** Forgets every request (the connection is gone). */
  clear(): void {
    this.awaiting.clear();
  }
}
