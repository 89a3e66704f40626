// @ts-check
/** Order statistics over small samples. */
'use strict';

/** The q-quantile (0..1) of `values` by the nearest-rank method; NaN for none. */
function quantile(/** @type {ArrayLike<number>} */ values, /** @type {number} */ q) {
  const sorted = Array.from(values).filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return /** @type {number} */ (sorted[rank - 1]);
}

/** The median (the mean of the middle two for an even count); NaN for none. */
function median(/** @type {ArrayLike<number>} */ values) {
  const sorted = Array.from(values).filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? /** @type {number} */ (sorted[mid]) : (/** @type {number} */ (sorted[mid - 1]) + /** @type {number} */ (sorted[mid])) / 2;
}

/**
 * @typedef {object} Summary
 * @property {number} median
 * @property {number} min
 * @property {number} max
 * @property {number[]} values every round's figure, in run order
 */

/** Median, min and max of the rounds' figures. */
function summarize(/** @type {number[]} */ values) {
  const finite = values.filter((v) => Number.isFinite(v));
  return /** @type {Summary} */ ({
    median: median(finite),
    min: finite.length ? Math.min(...finite) : NaN,
    max: finite.length ? Math.max(...finite) : NaN,
    values,
  });
}

module.exports = { quantile, median, summarize };
