/**
 * One 'abort' listener per AbortSignal, however many calls share it: a host
 * that passes one signal to a thousand calls must not pile a thousand
 * listeners onto it (nor trip Node's MaxListeners warning).
 */
export class AbortGroups {
  private readonly groups = new Map<AbortSignal, { callbacks: Set<() => void>; listener: () => void }>();

  /** Calls `callback` once when `signal` aborts; the returned function unsubscribes it. */
  add(signal: AbortSignal, callback: () => void): () => void {
    let group = this.groups.get(signal);
    if (!group) {
      const callbacks = new Set<() => void>();
      const listener = (): void => {
        this.groups.delete(signal);
        for (const fire of [...callbacks]) fire();
      };
      group = { callbacks, listener };
      this.groups.set(signal, group);
      signal.addEventListener('abort', listener, { once: true });
    }
    const current = group;
    current.callbacks.add(callback);
    return () => {
      if (!current.callbacks.delete(callback) || current.callbacks.size > 0) return;
      if (this.groups.get(signal) === current) {
        this.groups.delete(signal);
        signal.removeEventListener('abort', current.listener);
      }
    };
  }
}
