/**
 * What a JSON value costs in memory once parsed, estimated: its bytes on the
 * wire say little (`{}` is 2 bytes of text and some 60 bytes of heap), so
 * limits on what jobs hold count values, each with a weight close to what V8
 * spends on it.
 */

/** An object: its header, hidden class share and property backing store. */
const OBJECT_BYTES = 64;
/** A property of an object: its key slot and value slot. */
const PROPERTY_BYTES = 16;
/** An array: its header and elements store. */
const ARRAY_BYTES = 32;
/** An element of an array. */
const ELEMENT_BYTES = 8;
/** A string's header; its characters come on top. */
const STRING_BYTES = 16;
/** A number (a heap number unless small). */
const NUMBER_BYTES = 16;
/** true, false, null. */
const CONSTANT_BYTES = 8;

/**
 * The estimated retained size of a JSON value, bytes. Iterative (no stack
 * overflow on deep nesting); a value met twice is counted twice, as a
 * parsed document never shares one.
 */
export function estimateRetainedBytes(value: unknown): number {
  let total = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    switch (typeof item) {
      case 'string':
        total += STRING_BYTES + item.length;
        break;
      case 'number':
        total += NUMBER_BYTES;
        break;
      case 'object':
        if (item === null) {
          total += CONSTANT_BYTES;
        } else if (Array.isArray(item)) {
          total += ARRAY_BYTES + ELEMENT_BYTES * item.length;
          for (const element of item) pending.push(element);
        } else {
          for (const key in item) {
            if (!Object.prototype.hasOwnProperty.call(item, key)) continue;
            total += PROPERTY_BYTES + key.length;
            pending.push((item as Record<string, unknown>)[key]);
          }
          total += OBJECT_BYTES;
        }
        break;
      default:
        total += CONSTANT_BYTES;
    }
  }
  return total;
}
