/**
 * The event type of the client's public API (`client.onExit`, `job.onStatus`,
 * ...). It has the shape of vscode-jsonrpc's `Event`, whose `Emitter` fires
 * them, but is declared here so that the published declarations do not name
 * vscode-jsonrpc: its types resolve only through its `exports` map, which
 * classic (`node10`) module resolution does not read.
 */

/** What subscribing returns: `dispose()` removes the listener. */
export interface Disposable {
  dispose(): void;
}

/**
 * Subscribe by calling it with a listener; `thisArgs` is the listener's
 * `this`, and the returned Disposable is also pushed to `disposables` if given.
 */
export interface Event<T> {
  (listener: (e: T) => unknown, thisArgs?: unknown, disposables?: Disposable[]): Disposable;
}
