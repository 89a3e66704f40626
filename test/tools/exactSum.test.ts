import fc from 'fast-check';
import { exactSum, exactSumReference } from '../../src/tools/exactSum';

const MAX = Number.MAX_VALUE;
const MIN_SUBNORMAL = 2 ** -1074;
const PROPERTY = { seed: 42, numRuns: 2000 };

/** Unit in the last place of a finite, non-zero double. */
function ulp(x: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const biasedExponent = view.getUint16(0) >>> 4;
  return biasedExponent === 0 ? MIN_SUBNORMAL : 2 ** (biasedExponent - 1075);
}

const finiteDouble = fc.double({ noNaN: true, noDefaultInfinity: true });

/** m·2^e over the whole exponent range, so huge and tiny values meet in one array. */
const anyMagnitude = fc
  .tuple(fc.maxSafeInteger(), fc.integer({ min: -1074, max: 970 }))
  .map(([m, e]) => m * 2 ** e);

/** Exact multiples of the smallest subnormal, both sides of the normal boundary. */
const subnormal = fc.oneof(
  fc.integer({ min: -(2 ** 52 - 1), max: 2 ** 52 - 1 }).map((m) => m * MIN_SUBNORMAL),
  fc.double({ min: -(2 ** -1020), max: 2 ** -1020, noNaN: true }),
);

function shuffled(values: readonly number[]): fc.Arbitrary<number[]> {
  return fc.shuffledSubarray([...values], { minLength: values.length, maxLength: values.length });
}

/** Each base value, its negation, and a residue, in random order: the sum is exactly the residue's. */
const cancelling = fc
  .tuple(fc.array(anyMagnitude, { maxLength: 30 }), fc.array(anyMagnitude, { maxLength: 3 }))
  .chain(([base, residue]) =>
    shuffled([...base, ...base.map((v) => -v), ...residue]).map((values) => ({ values, residue })),
  );

/** x, half an ulp of x, and a small tail: the final rounding is a tie broken (or not) by the tail. */
const nearTie = fc
  .tuple(
    fc.double({ min: 2 ** -1000, max: 2 ** 1000, noNaN: true }),
    fc.constantFrom(1, -1),
    fc.constantFrom(1, -1),
    fc.constantFrom(1, -1),
    fc.integer({ min: 1, max: 80 }),
    fc.array(anyMagnitude, { maxLength: 2 }),
  )
  .chain(([x, sx, sh, st, k, noise]) => {
    const half = ulp(x) / 2;
    return shuffled([sx * x, sh * half, st * half * 2 ** -k, ...noise]);
  });

function repeat(value: number, times: number): number[] {
  return Array<number>(times).fill(value);
}

const HARMONIC = Array.from({ length: 1000 }, (_, i) => 1 / (i + 1));

/** CPython's partials-resizing case: 2^n - 2^(n+50) + 2^(n+52) for n in range(-1074, 972, 2). */
const MANY_PARTIALS = Array.from({ length: 1023 }, (_, i) => -1074 + 2 * i).map(
  (n) => 2 ** n - 2 ** (n + 50) + 2 ** (n + 52),
);

describe('exactSum examples', () => {
  it.each<[string, number[], number]>([
    ['cancellation around a small term', [1e16, 1, -1e16], 1],
    ['ten 0.1', repeat(0.1, 10), 1],
    ['0.1 + 0.2 + 0.3', [0.1, 0.2, 0.3], 0.6],
    ['intermediate overflow with a finite sum', [1e308, 1e308, -1e308], 1e308],
    ['MAX + MAX - MAX', [MAX, MAX, -MAX], MAX],
    ['empty', [], 0],
    ['single -0', [-0], -0],
    ['two -0', [-0, -0], -0],
    ['-0 and +0', [-0, 0], 0],
    ['+0 and -0', [0, -0], 0],
    ['exact cancellation', [1, -1], 0],
    ['exact cancellation of negatives first', [-1, 1], 0],
    ['-0 with a value', [-0, 3], 3],
    ['overflow', [1e308, 1e308], Infinity],
    ['negative overflow', [-1e308, -1e308], -Infinity],
    ['tie just past MAX rounds to even, i.e. Infinity', [MAX, 2 ** 970], Infinity],
    ['just below the tie past MAX', [MAX, 2 ** 970, -MIN_SUBNORMAL], MAX],
    ['half an ulp below MAX', [MAX, 2 ** 969], MAX],
    ['negative tie past -MAX', [-MAX, -(2 ** 970)], -Infinity],
    ['overflow then back in range over many terms', [...repeat(MAX, 5), ...repeat(-MAX, 4)], MAX],
    ['subnormals add exactly', [MIN_SUBNORMAL, MIN_SUBNORMAL, -3 * MIN_SUBNORMAL], -MIN_SUBNORMAL],
    ['subnormals into the normal range', [2 ** -1022 - MIN_SUBNORMAL, MIN_SUBNORMAL], 2 ** -1022],
    // From CPython's test_math.testFsum.
    ['cpython 1', [1e100, 1.0, -1e100, 1e-100, 1e50, -1.0, -1e50], 1e-100],
    ['cpython 2', [2 ** 53, -0.5, -(2 ** -54)], 2 ** 53 - 1],
    ['cpython 3', [2 ** 53, 1.0, 2 ** -100], 2 ** 53 + 2],
    ['cpython 4', [2 ** 53 + 10, 1.0, 2 ** -100], 2 ** 53 + 12],
    ['cpython 5', [2 ** 53 - 4, 0.5, 2 ** -54], 2 ** 53 - 3],
    ['cpython 6', [1e16, 1, 1e-16], 10000000000000002],
    ['cpython 7', [1e16 - 2, 1 - 2 ** -53, -(1e16 - 2), -(1 - 2 ** -53)], 0],
    ['harmonic 1..1000', HARMONIC, 7.485470860550345],
    ['alternating harmonic', HARMONIC.map((v, i) => (i % 2 === 0 ? -v : v)), -0.6926474305598203],
    ['many partials', [...MANY_PARTIALS, -(2 ** 1022)], 1.3305602063564798e292],
  ])('%s', (_name, values, expected) => {
    expect(exactSum(values)).toBe(expected); // toBe is Object.is: -0 and NaN are checked
    expect(exactSumReference(values)).toBe(expected);
  });

  it.each<[string, number[], number]>([
    ['NaN', [1, NaN, 2], NaN],
    ['NaN with an infinity', [Infinity, NaN], NaN],
    ['opposite infinities', [Infinity, 1, -Infinity], NaN],
    ['+Infinity', [1, Infinity, -1e308, Infinity], Infinity],
    ['-Infinity', [-Infinity, 5], -Infinity],
    ['infinity beside an intermediate overflow', [1e308, 1e308, -Infinity], -Infinity],
    ['NaN after an intermediate overflow', [1e308, 1e308, NaN], NaN],
  ])('non-finite input: %s', (_name, values, expected) => {
    expect(exactSum(values)).toBe(expected);
    expect(exactSumReference(values)).toBe(expected);
  });

  it('does not modify its input', () => {
    const values = [1e308, 1e308, -1e308, 0.1];
    exactSum(values);
    exactSumReference(values);
    expect(values).toEqual([1e308, 1e308, -1e308, 0.1]);
  });
});

describe('exactSumReference against IEEE addition', () => {
  // A single IEEE addition is correctly rounded, half to even: an independent oracle.
  it('returns a single value unchanged', () => {
    fc.assert(
      fc.property(fc.oneof(finiteDouble, subnormal), (x) => Object.is(exactSumReference([x]), x)),
      PROPERTY,
    );
  });

  it('rounds two values as IEEE addition does', () => {
    const operand = fc.oneof(finiteDouble, anyMagnitude, subnormal);
    fc.assert(
      fc.property(operand, operand, (x, y) => Object.is(exactSumReference([x, y]), x + y)),
      PROPERTY,
    );
  });
});

describe('exactSum against exactSumReference', () => {
  const agrees = (values: number[]): boolean => Object.is(exactSum(values), exactSumReference(values));

  it('on arbitrary finite doubles', () => {
    fc.assert(fc.property(fc.array(finiteDouble, { maxLength: 40 }), agrees), PROPERTY);
  });

  it('on huge and tiny magnitudes mixed', () => {
    fc.assert(fc.property(fc.array(anyMagnitude, { maxLength: 40 }), agrees), PROPERTY);
  });

  it('on subnormals', () => {
    fc.assert(fc.property(fc.array(fc.oneof(subnormal, anyMagnitude), { maxLength: 40 }), agrees), PROPERTY);
  });

  it('on near-ties in the final rounding', () => {
    fc.assert(fc.property(nearTie, agrees), PROPERTY);
  });

  it('on exact cancellations, leaving exactly the residue', () => {
    fc.assert(
      fc.property(cancelling, ({ values, residue }) => {
        const sum = exactSum(values);
        return Object.is(sum, exactSumReference(values)) && Object.is(sum, exactSumReference(residue) + 0);
      }),
      PROPERTY,
    );
  });
});

describe('exactSum permutation invariance', () => {
  it('gives the same sum for any order of the same values', () => {
    const values = fc.array(fc.oneof(finiteDouble, anyMagnitude, subnormal), { maxLength: 40 });
    fc.assert(
      fc.property(
        values.chain((original) => shuffled(original).map((permuted) => ({ original, permuted }))),
        ({ original, permuted }) => Object.is(exactSum(permuted), exactSum(original)),
      ),
      PROPERTY,
    );
  });
});
