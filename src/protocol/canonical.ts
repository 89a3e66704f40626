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
 * surrogates in strings or keys. Iterative, and it never descends past
 * `maxDepth`, so hostile nesting costs nothing beyond the limit.
 * Returns the first problem found, or undefined.
 */
export function checkJsonValue(value: unknown, maxDepth: number = MAX_DEPTH): ValidationIssue | undefined {
  const stack: Array<{ value: unknown; depth: number; path: string }> = [{ value, depth: 1, path: '' }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    const v = item.value;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return { path: item.path || '/', message: 'must be a finite number' };
    } else if (typeof v === 'string') {
      if (hasLoneSurrogate(v)) return { path: item.path || '/', message: 'must not contain a lone surrogate' };
    } else if (v !== null && typeof v === 'object') {
      if (item.depth > maxDepth) return { path: item.path || '/', message: `must not nest deeper than ${maxDepth} levels` };
      if (Array.isArray(v)) {
        for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], depth: item.depth + 1, path: `${item.path}/${i}` });
      } else {
        for (const key of Object.keys(v)) {
          if (hasLoneSurrogate(key)) return { path: item.path || '/', message: 'keys must not contain a lone surrogate' };
          stack.push({ value: (v as Record<string, unknown>)[key], depth: item.depth + 1, path: `${item.path}/${escapePointer(key)}` });
        }
      }
    } else if (typeof v !== 'boolean' && v !== null) {
      return { path: item.path || '/', message: 'must be a JSON value' };
    }
  }
  return undefined;
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
