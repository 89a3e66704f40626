import { canonicalize as jcs } from 'json-canonicalize';
import type { ValidationIssue } from './errors';

/** Nesting depth allowed anywhere in a call's params (the params object is level 1). */
export const MAX_DEPTH = 64;

/** A lone surrogate is what makes a string not well-formed UTF-16 (native, and at once for a one-byte string). */
function hasLoneSurrogate(text: string): boolean {
  return !text.isWellFormed();
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * How the objects of a tree that passed the checks list their keys:
 * - `canonical`: every object's own keys in RFC 8785 order (sorted by UTF-16
 *   code units), so JSON.stringify writes the canonical text;
 * - `signature-last`: the same, except that the top-level object's
 *   `signature` member comes last, as `signInPlace` writes a signed message
 *   (without its signature, JSON.stringify writes its canonical text);
 * - `other`: anything else; `canonicalize` has to sort.
 */
export type KeyOrder = 'canonical' | 'signature-last' | 'other';

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
  const issue = inspectJsonValue(value, maxDepth);
  return typeof issue === 'string' ? undefined : issue;
}

/**
 * checkJsonValue and, in the same pass, the tree's key order: the first
 * problem found, or how its keys are ordered (see KeyOrder), which
 * `canonicalizeInspected` and `signedTextOf` then need not walk the tree
 * again to learn.
 */
export function inspectJsonValue(value: unknown, maxDepth: number = MAX_DEPTH): ValidationIssue | KeyOrder {
  const found = isPlainRecord(value) ? inspectTop(value, maxDepth) : inspect(value, 1, maxDepth);
  if (found === INVALID) return locateIssue(value, 1, maxDepth, '') ?? { path: '/', message: 'must be a JSON value' };
  return found === IN_ORDER ? 'canonical' : found === SIGNATURE_LAST ? 'signature-last' : 'other';
}

/** What a pass over a (sub)tree found. */
const INVALID = 0;
const IN_ORDER = 1;
const OUT_OF_ORDER = 2;
/** Top level only: in order but for a last `signature` member. */
const SIGNATURE_LAST = 3;

/** An object JSON.parse could have made: no array, no other prototype. */
function isPlainRecord(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * The fast pass: is everything acceptable, and in order? Recursion is
 * bounded by maxDepth. Order as `canonicalize` needs it: only plain objects
 * and arrays, each object's own keys sorted, nothing inherited.
 */
function inspect(v: unknown, depth: number, maxDepth: number): number {
  switch (typeof v) {
    case 'number':
      return Number.isFinite(v) ? IN_ORDER : INVALID;
    case 'string':
      return hasLoneSurrogate(v) ? INVALID : IN_ORDER;
    case 'boolean':
      return IN_ORDER;
    case 'object': {
      if (v === null) return IN_ORDER;
      if (depth > maxDepth) return INVALID;
      let order = IN_ORDER;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          const item: unknown = v[i];
          // Numbers, the common bulk, skip the call.
          if (typeof item === 'number') {
            if (!Number.isFinite(item)) return INVALID;
            continue;
          }
          const found = inspect(item, depth + 1, maxDepth);
          if (found === INVALID) return INVALID;
          if (found !== IN_ORDER) order = OUT_OF_ORDER;
        }
        return order;
      }
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) order = OUT_OF_ORDER;
      const record = v as Record<string, unknown>;
      // for-in lists own keys in the order Object.keys does, without making an array.
      let previous: string | undefined;
      for (const key in record) {
        if (!Object.hasOwn(record, key)) {
          order = OUT_OF_ORDER;
          continue;
        }
        if (hasLoneSurrogate(key) || (key === 'toJSON' && record[key] != null)) return INVALID;
        if (previous !== undefined && !(previous < key)) order = OUT_OF_ORDER;
        previous = key;
        const found = inspect(record[key], depth + 1, maxDepth);
        if (found === INVALID) return INVALID;
        if (found !== IN_ORDER) order = OUT_OF_ORDER;
      }
      return order;
    }
    default:
      return INVALID;
  }
}

/** `inspect` of a top-level plain object, which may also be in order but for a last `signature` member. */
function inspectTop(record: Record<string, unknown>, maxDepth: number): number {
  if (maxDepth < 1) return INVALID;
  let inOrder = true;
  /** In order when the `signature` member is left out. */
  let othersInOrder = true;
  let previous: string | undefined;
  let previousOther: string | undefined;
  let lastKey: string | undefined;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) {
      inOrder = othersInOrder = false;
      continue;
    }
    if (hasLoneSurrogate(key) || (key === 'toJSON' && record[key] != null)) return INVALID;
    if (previous !== undefined && !(previous < key)) inOrder = false;
    previous = lastKey = key;
    if (key !== 'signature') {
      if (previousOther !== undefined && !(previousOther < key)) othersInOrder = false;
      previousOther = key;
    }
    const found = inspect(record[key], 2, maxDepth);
    if (found === INVALID) return INVALID;
    if (found !== IN_ORDER) inOrder = othersInOrder = false;
  }
  if (inOrder) return IN_ORDER;
  return othersInOrder && lastKey === 'signature' ? SIGNATURE_LAST : OUT_OF_ORDER;
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
  return canonicalizeInspected(value, isInCanonicalOrder(value) ? 'canonical' : 'other');
}

/** `canonicalize` of a tree whose key order `inspectJsonValue` has found already. */
export function canonicalizeInspected(value: unknown, order: KeyOrder): string {
  return order === 'canonical' ? JSON.stringify(value) : jcs(value);
}

/**
 * Whether JSON.stringify writes `value` exactly as json-canonicalize does:
 * only plain objects and arrays, each object's own keys already sorted, no
 * `toJSON`, and nothing JSON.stringify would drop or rewrite differently
 * (functions, symbols, BigInts, non-finite numbers, boxed primitives,
 * holes in arrays). Object members whose value is undefined are left out
 * by both, so they are allowed. (The objects this package builds to sign
 * may hold such members, which `inspect` refuses; hence a pass of its own.)
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
