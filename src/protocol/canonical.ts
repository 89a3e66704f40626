import { canonicalize as jcs } from 'json-canonicalize';
import type { ValidationIssue } from './errors';

/** Nesting depth allowed anywhere in a call's params (the params object is level 1). */
export const MAX_DEPTH = 64;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * Checks that a parsed JSON value can be canonicalized under RFC 8785 and is
 * not nested deeper than `maxDepth`: no non-finite numbers, no lone
 * surrogates in strings or keys, and no non-null `toJSON` member (the
 * canonicalizer would hand such an object to JSON.stringify unsorted, so no
 * other RFC 8785 implementation could reproduce its signature). It never
 * descends past `maxDepth`, so hostile nesting costs nothing beyond the
 * limit, and it allocates nothing unless it finds a problem.
 * Returns the first problem found (with a JSON Pointer to it), or undefined.
 */
export function checkJsonValue(value: unknown, maxDepth: number = MAX_DEPTH): ValidationIssue | undefined {
  if (isAcceptable(value, 1, maxDepth)) return undefined;
  return locateIssue(value, 1, maxDepth, '');
}

/** The fast pass: is everything acceptable? Recursion is bounded by maxDepth. */
function isAcceptable(v: unknown, depth: number, maxDepth: number): boolean {
  switch (typeof v) {
    case 'number':
      return Number.isFinite(v);
    case 'string':
      return !hasLoneSurrogate(v);
    case 'boolean':
      return true;
    case 'object': {
      if (v === null) return true;
      if (depth > maxDepth) return false;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          const item: unknown = v[i];
          // Numbers, the common bulk, skip the call.
          if (typeof item === 'number' ? !Number.isFinite(item) : !isAcceptable(item, depth + 1, maxDepth)) return false;
        }
        return true;
      }
      const record = v as Record<string, unknown>;
      for (const key in record) {
        if (!Object.prototype.hasOwnProperty.call(record, key)) continue;
        if (hasLoneSurrogate(key) || (key === 'toJSON' && record[key] != null)) return false;
        if (!isAcceptable(record[key], depth + 1, maxDepth)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/** The slow pass, run only after a failure: where is the problem? */
function locateIssue(v: unknown, depth: number, maxDepth: number, path: string): ValidationIssue | undefined {
  const at = path || '/';
  switch (typeof v) {
    case 'number':
      return Number.isFinite(v) ? undefined : { path: at, message: 'must be a finite number' };
    case 'string':
      return hasLoneSurrogate(v) ? { path: at, message: 'must not contain a lone surrogate' } : undefined;
    case 'boolean':
      return undefined;
    case 'object': {
      if (v === null) return undefined;
      if (depth > maxDepth) return { path: at, message: `must not nest deeper than ${maxDepth} levels` };
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          const issue = locateIssue(v[i], depth + 1, maxDepth, `${path}/${i}`);
          if (issue) return issue;
        }
        return undefined;
      }
      const record = v as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        if (hasLoneSurrogate(key)) return { path: at, message: 'keys must not contain a lone surrogate' };
        const inner = `${path}/${escapePointer(key)}`;
        if (key === 'toJSON' && record[key] != null) {
          return { path: inner, message: 'a member named toJSON must be null: it cannot be canonicalized portably' };
        }
        const issue = locateIssue(record[key], depth + 1, maxDepth, inner);
        if (issue) return issue;
      }
      return undefined;
    }
    default:
      return { path: at, message: 'must be a JSON value' };
  }
}

/**
 * RFC 8785 canonical JSON of a plain JSON tree.
 * The caller guarantees the value passed `checkJsonValue` (json-canonicalize
 * itself recurses without a limit and accepts lone surrogates), and that no
 * object appears twice in the tree (json-canonicalize reports that as a cycle).
 *
 * RFC 8785 writes every primitive exactly as ECMAScript's JSON.stringify
 * does (section 3.2.2) and departs from it only in the order of object
 * members, which it sorts by UTF-16 code units (section 3.2.3). So when
 * every object in the tree already lists its keys in that order (anything
 * an RFC 8785 signer wrote and JSON.parse read back, and the objects this
 * package builds) JSON.stringify's output is the canonical text, and
 * JSON.stringify is native, and much the faster on a large call. Any
 * other tree goes to json-canonicalize. A property test holds the two
 * paths to the same output.
 */
export function canonicalize(value: unknown): string {
  return isInCanonicalOrder(value) ? JSON.stringify(value) : jcs(value);
}

/**
 * Whether JSON.stringify writes `value` exactly as json-canonicalize does:
 * only plain objects and arrays, each object's own keys already sorted, no
 * `toJSON`, and nothing JSON.stringify would drop or rewrite differently
 * (functions, symbols, BigInts, non-finite numbers, boxed primitives,
 * holes in arrays). Object members whose value is undefined are left out
 * by both, so they are allowed.
 */
function isInCanonicalOrder(v: unknown): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(v);
    case 'object': {
      if (v === null) return true;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          const item: unknown = v[i];
          // Numbers, the common bulk, skip the call. An undefined item (or a
          // hole, which json-canonicalize skips) goes the slow way.
          if (typeof item === 'number' ? !Number.isFinite(item) : !isInCanonicalOrder(item)) return false;
        }
        return true;
      }
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return false;
      const record = v as Record<string, unknown>;
      // for-in lists own keys in the order Object.keys does, without making an array.
      let previous: string | undefined;
      for (const key in record) {
        if (!Object.hasOwn(record, key)) return false;
        if (previous !== undefined && !(previous < key)) return false;
        previous = key;
        const member = record[key];
        if (key === 'toJSON' && member != null) return false;
        if (member !== undefined && !isInCanonicalOrder(member)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}
