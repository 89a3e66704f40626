/**
 * Duplicate object keys in a line of JSON. JSON.parse keeps the last of
 * them, another parser may keep the first: a signature checked over one
 * reading can then vouch for another. I-JSON (RFC 7493), which RFC 8785
 * requires of its input, forbids them.
 *
 * The check is cheap because it never tokenizes a valid line: JSON.parse has
 * already read it, and a line has duplicates exactly when it spells more
 * members (its colons outside strings, found with native indexOf) than the
 * parsed value holds. Only a line that fails that count is read again, key
 * by key, to say where the duplicate is.
 */

/** The first duplicate key of a line: the JSON Pointer of the object holding it, and the key. */
export interface DuplicateKey {
  readonly path: string;
  readonly key: string;
}

/**
 * Nesting counted at most. Deeper values (far past any `--max-depth`, and
 * refused for that anyway) are not checked, so hostile nesting cannot
 * exhaust the stack here.
 */
const MAX_COUNT_DEPTH = 1024;

/**
 * The first duplicate key in `text`, which JSON.parse read as `value`, or
 * undefined when there is none (or the value nests deeper than 1024).
 */
export function findDuplicateKey(text: string, value: unknown): DuplicateKey | undefined {
  tally.members = 0;
  tally.colonInString = false;
  if (!countMembers(value, 1)) return undefined;
  // No string holds a colon (raw or escaped): every colon of the text separates a member.
  const spelled = tally.colonInString ? spelledMembers(text) : countColons(text);
  return spelled === tally.members ? undefined : locateDuplicateKey(text);
}

/** What countMembers found: module state, so the walk allocates nothing. */
const tally = { members: 0, colonInString: false };

/** Adds up the object members of a parsed value, noting strings that hold a colon; false past MAX_COUNT_DEPTH. */
function countMembers(value: unknown, depth: number): boolean {
  if (depth > MAX_COUNT_DEPTH) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      // Numbers, the common bulk, cost one typeof.
      if (typeof item === 'string') {
        if (!tally.colonInString && item.includes(':')) tally.colonInString = true;
      } else if (typeof item === 'object' && item !== null && !countMembers(item, depth + 1)) {
        return false;
      }
    }
    return true;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    tally.members++;
    if (!tally.colonInString && key.includes(':')) tally.colonInString = true;
    const member = record[key];
    if (typeof member === 'string') {
      if (!tally.colonInString && member.includes(':')) tally.colonInString = true;
    } else if (typeof member === 'object' && member !== null && !countMembers(member, depth + 1)) {
      return false;
    }
  }
  return true;
}

/** Every colon of the text. */
function countColons(text: string): number {
  let count = 0;
  for (let at = text.indexOf(':'); at !== -1; at = text.indexOf(':', at + 1)) count++;
  return count;
}

/** The members spelled in valid JSON text: one name separator (colon) outside strings each. */
function spelledMembers(text: string): number {
  let count = 0;
  let colon = text.indexOf(':');
  let quote = text.indexOf('"');
  while (colon !== -1) {
    if (quote === -1 || colon < quote) {
      count++;
      colon = text.indexOf(':', colon + 1);
      continue;
    }
    const end = stringEnd(text, quote);
    if (colon < end) colon = text.indexOf(':', end + 1);
    quote = text.indexOf('"', end + 1);
  }
  return count;
}

/** The index of the quote closing the string that opens at `open`. */
function stringEnd(text: string, open: number): number {
  let end = text.indexOf('"', open + 1);
  while (end !== -1 && isEscaped(text, end)) end = text.indexOf('"', end + 1);
  return end === -1 ? text.length : end;
}

/** Whether the quote at `at` is preceded by an odd run of backslashes. */
function isEscaped(text: string, at: number): boolean {
  let backslashes = 0;
  while (at - backslashes - 1 >= 0 && text.charCodeAt(at - backslashes - 1) === 0x5c) backslashes++;
  return backslashes % 2 === 1;
}

interface Container {
  readonly path: string;
  /** Keys seen so far, decoded; undefined for an array. */
  readonly keys: Set<string> | undefined;
  /** In an object: true while the next string is a key. */
  expectingKey: boolean;
  /** The current member's key, or the current item's index. */
  current: string;
  index: number;
}

/**
 * The slow pass, run only when the count says there is a duplicate: reads
 * the (valid) text token by token, without recursion, keeping each open
 * object's keys. Keys are compared decoded, so `"x"` and `"\u0078"` clash.
 */
function locateDuplicateKey(text: string): DuplicateKey | undefined {
  const stack: Container[] = [];
  const childPath = (): string => {
    const parent = stack[stack.length - 1];
    if (parent === undefined) return '';
    return `${parent.path}/${parent.keys ? escapePointer(parent.current) : String(parent.index)}`;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const top = stack[stack.length - 1];
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      stack.push({ path: childPath(), keys: c === 0x7b ? new Set() : undefined, expectingKey: true, current: '', index: 0 });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */ && top !== undefined) {
      top.expectingKey = true;
      top.index++;
    } else if (c === 0x22 /* " */) {
      const end = stringEnd(text, i);
      if (top?.keys !== undefined && top.expectingKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.keys.has(key)) return { path: top.path, key };
        top.keys.add(key);
        top.current = key;
        top.expectingKey = false;
      }
      i = end;
    }
  }
  return undefined;
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Where a request's params carry the duplicate found in them (see markDuplicateKey). */
const DUPLICATE_KEY = Symbol('toolseal.duplicateKey');

type WithDuplicateKey = { [DUPLICATE_KEY]?: DuplicateKey };

/**
 * Marks a message's params as having held a duplicate key at `duplicate.path`
 * (a pointer into the params): the framing cannot answer for the method, so
 * the layer that reads the params refuses them. A symbol-keyed property,
 * which JSON.stringify, Object.keys and schema validation all ignore.
 */
export function markDuplicateKey(params: object, duplicate: DuplicateKey): void {
  (params as WithDuplicateKey)[DUPLICATE_KEY] = duplicate;
}

/** The duplicate key the framing found in these params, if any. */
export function duplicateKeyIn(params: unknown): DuplicateKey | undefined {
  return typeof params === 'object' && params !== null ? (params as WithDuplicateKey)[DUPLICATE_KEY] : undefined;
}

/** Keys are named in messages, cut short: they come from the peer. */
export function quoteKey(key: string): string {
  return JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}…` : key);
}

/** A duplicate as a validation issue: `{path, message}`, the root being "/". */
export function duplicateKeyIssue(duplicate: DuplicateKey): { path: string; message: string } {
  return { path: duplicate.path || '/', message: `duplicate key ${quoteKey(duplicate.key)}` };
}
