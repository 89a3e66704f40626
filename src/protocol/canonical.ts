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
        for (let i = 0; i < v.length; i++) if (!isAcceptable(v[i], depth + 1, maxDepth)) return false;
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
 */
export function canonicalize(value: unknown): string {
  return jcs(value);
}
