/**
 * A value now or later. The call pipeline answers synchronously when every
 * step can (the in-memory replay store, a synchronous tool), so a call
 * costs no promise per step; a step that has to wait (a shared store, an
 * async tool) turns the rest of the chain asynchronous.
 */
export type Eventually<T> = T | Promise<T>;

/** Whether `value` is still to come. */
export function isPending<T>(value: Eventually<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
