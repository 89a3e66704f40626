/**
 * Correctly rounded summation of IEEE-754 doubles.
 *
 * `exactSum` is Python's `math.fsum`: Shewchuk's adaptive-precision summation
 * keeps a short list of non-overlapping partials whose sum is exactly the sum
 * of the inputs seen so far, then rounds that exact sum once, half to even.
 * When a partial overflows (the exact sum may still be finite, e.g.
 * `[1e308, 1e308, -1e308]`) it falls back to `exactSumReference`, which sums
 * the inputs as integers with BigInt. Both share the non-finite and signed-zero
 * rules, and the rounding of an exact value lives only in `roundToDouble`.
 */

/**
 * The exact sum of `values`, rounded to the nearest double (ties to even).
 *
 * Any NaN, or both +Infinity and -Infinity, gives NaN; otherwise an infinite
 * input gives that infinity; a finite exact sum beyond the double range gives
 * ±Infinity. The sum is -0 only when every input is -0 (as IEEE addition);
 * `[]` sums to +0.
 */
export function exactSum(values: readonly number[]): number {
  // Non-overlapping, increasing in magnitude, none zero; only [0, count) is live.
  const partials: number[] = [];
  let count = 0;
  let special = 0;
  let hasSpecial = false;

  for (let k = 0; k < values.length; k++) {
    let x = values[k];
    if (x - x !== 0) {
      // NaN or ±Infinity: their IEEE sum is the answer, whatever the finite inputs are.
      special += x;
      hasSpecial = true;
      continue;
    }
    let live = 0;
    for (let j = 0; j < count; j++) {
      let y = partials[j];
      if (Math.abs(x) < Math.abs(y)) {
        const t = x;
        x = y;
        y = t;
      }
      // Fast two-sum: with |x| >= |y|, hi + lo === x + y exactly.
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) partials[live++] = lo;
      x = hi;
    }
    if (x - x !== 0) return exactSumReference(values); // a partial overflowed
    count = live;
    if (x !== 0) partials[count++] = x;
  }

  if (hasSpecial) return special;
  if (count === 0) return zeroSum(values);

  // Add the partials from the top down while the sum stays exact; the first
  // inexact addition is the rounding step.
  let n = count - 1;
  let hi = partials[n];
  let lo = 0;
  while (n > 0) {
    const x = hi;
    const y = partials[--n];
    hi = x + y;
    lo = y - (hi - x);
    if (lo !== 0) break;
  }
  // That addition rounded a tie to even, but the partials still below it push
  // the exact sum off the tie, towards lo: round away from hi instead.
  if (n > 0 && ((lo < 0 && partials[n - 1] < 0) || (lo > 0 && partials[n - 1] > 0))) {
    const y = lo * 2;
    const x = hi + y;
    if (y === x - hi) hi = x;
  }
  // Not seen in fuzzing once the loop above has not overflowed, but if the
  // top-down pass overflows, only the exact path can tell ±MAX from ±Infinity.
  if (hi - hi !== 0) return exactSumReference(values);
  return hi;
}

/**
 * The same result as `exactSum`, computed exactly with BigInt: each double is
 * m·2^e with integer m, so the inputs are summed as integers and the total is
 * rounded once. Slower; used as `exactSum`'s overflow path and as a test oracle.
 */
export function exactSumReference(values: readonly number[]): number {
  // buckets[i] is the sum of the signed significands of the inputs worth m·2^(i − 1074).
  const buckets: bigint[] = new Array<bigint>(BUCKET_COUNT).fill(0n);
  let special = 0;
  let hasSpecial = false;

  for (let k = 0; k < values.length; k++) {
    const x = values[k];
    if (x - x !== 0) {
      special += x;
      hasSpecial = true;
      continue;
    }
    if (x === 0) continue;
    scratch.setFloat64(0, x);
    const high = scratch.getUint32(0);
    const low = scratch.getUint32(4);
    const biasedExponent = (high >>> 20) & 0x7ff;
    // Subnormals (biased exponent 0) share the scale of the smallest normal, without the hidden bit.
    const significand =
      (high & 0xfffff) * 2 ** 32 + low + (biasedExponent === 0 ? 0 : 2 ** 52);
    const index = biasedExponent === 0 ? 0 : biasedExponent - 1;
    const m = BigInt(significand);
    buckets[index] += high >>> 31 === 0 ? m : -m;
  }

  if (hasSpecial) return special;

  // Horner from the top bucket down, scaled by the lowest non-empty one.
  let total = 0n;
  let lowest = -1;
  for (let i = BUCKET_COUNT - 1; i >= 0; i--) {
    const b = buckets[i];
    if (b === 0n) continue;
    total = lowest < 0 ? b : (total << BigInt(lowest - i)) + b;
    lowest = i;
  }
  if (total === 0n) return zeroSum(values);
  return roundToDouble(total, lowest + MIN_EXPONENT);
}

/** Exponent of the smallest subnormal, 2^-1074: every finite double is a multiple of it. */
const MIN_EXPONENT = -1074;

/** One bucket per binade scale of a double's significand (biased exponents 1..2046; 0 shares 1). */
const BUCKET_COUNT = 2046;

/** Scratch space for reading a double's bits; only touched synchronously. */
const scratch = new DataView(new ArrayBuffer(8));

/**
 * The double nearest to scaled·2^exponent (ties to even), ±Infinity past the
 * double range. `scaled` is non-zero and `exponent >= MIN_EXPONENT`.
 */
function roundToDouble(scaled: bigint, exponent: number): number {
  const negative = scaled < 0n;
  const magnitude = negative ? -scaled : scaled;
  const leadingExponent = magnitude.toString(2).length - 1 + exponent;
  // Unit in the last place of the result: 53 significant bits, or the subnormal step.
  const ulpExponent = Math.max(leadingExponent - 52, MIN_EXPONENT);
  const shift = ulpExponent - exponent;
  let units: bigint;
  if (shift <= 0) {
    units = magnitude << BigInt(-shift);
  } else {
    const bits = BigInt(shift);
    units = magnitude >> bits;
    const rest = magnitude - (units << bits);
    const half = 1n << (bits - 1n);
    if (rest > half || (rest === half && (units & 1n) === 1n)) units += 1n;
  }
  // units <= 2^53, so both factors are exact and the product is exact or
  // overflows to Infinity, which is IEEE's rounding past 2^1024 - 2^970.
  const result = Number(units) * 2 ** ulpExponent;
  return negative ? -result : result;
}

/** The sign of an exactly zero sum: -0 only when every input is -0, as IEEE addition. */
function zeroSum(values: readonly number[]): number {
  if (values.length === 0) return 0;
  for (let k = 0; k < values.length; k++) {
    if (!Object.is(values[k], -0)) return 0;
  }
  return -0;
}
