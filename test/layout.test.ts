/**
 * pad, flip, tile, tril, triu beyond the op table: their argument errors, the gradients in words
 * (pad's is a slice, tile's sums the copies), and the fluent forms.
 */
import { flip, grad, pad, tensor, tile, tril, triu, zeros, type Tensor } from '../src/index.js'

const f64 = { dtype: 'float64' as const }

describe('pad', () => {
  const x = zeros([2, 3])
  test("the gradient is g's interior", () => {
    const w = tensor(
      [
        [1, 2, 3, 4],
        [5, 6, 7, 8],
        [9, 10, 11, 12],
      ],
      f64,
    )
    const g = grad((z: Tensor) =>
      pad(
        z,
        [
          [1, 0],
          [0, 1],
        ],
        3,
      )
        .mul(w)
        .sum(),
    )(zeros([2, 3], f64))
    expect(g.toArray()).toEqual([
      [5, 6, 7],
      [9, 10, 11],
    ])
  })
  test('widths errors: flat (PyTorch) form, wrong count, negative, not integers, not pairs', () => {
    expect(() => pad(x, [1, 2] as never)).toThrow(
      'pad: widths [1, 2] is a flat list; give one [before, after] pair per axis, ' +
        "[[before, after], [before, after]] for shape [2,3] (NumPy's form; PyTorch's flat F.pad form, " +
        'last axis first, is not accepted: F.pad(x, (1, 2)) on a 2-D x is [[0, 0], [1, 2]] here)',
    )
    expect(() => pad(x, [[1, 1]])).toThrow(/^pad: widths has 1 pair for shape \[2,3\], which has 2 axes/)
    expect(() =>
      pad(x, [
        [1, 1],
        [0, -1],
      ]),
    ).toThrow(
      /^pad: widths for axis 1 must be \[before, after\], two non-negative integers, got \[0, -1\] \(shape \[2,3\]\)/,
    )
    expect(() =>
      pad(x, [
        [1, 1],
        [0, 0.5],
      ]),
    ).toThrow(/^pad: widths for axis 1 must be .* got \[0, 0.5\]/)
    expect(() => pad(x, [[1, 1], [0]] as never)).toThrow(/^pad: widths for axis 1 must be .* got \[0\]/)
    expect(() => pad(x, 2 as never)).toThrow(
      /^pad: widths must be one \[before, after\] pair per axis, .* got number 2/,
    )
  })
  test('value errors', () => {
    expect(() =>
      pad(
        x,
        [
          [0, 0],
          [0, 0],
        ],
        'a' as never,
      ),
    ).toThrow(/^pad: value must be a number, got string a \(shape \[2,3\]\)/)
    expect(() => pad(tensor([1], { dtype: 'int32' }), [[1, 0]], 0.5)).toThrow(
      /^pad: value 0.5 is not an integer, but x is int32 \[1\]/,
    )
  })
  test('fluent form', () => {
    expect(
      tensor([1, 2])
        .pad([[1, 0]], -1)
        .toArray(),
    ).toEqual([-1, 1, 2])
  })
})

describe('flip', () => {
  test('errors', () => {
    expect(() => flip(zeros([2, 3]), 2)).toThrow(/^flip: axis 2 is out of range for shape \[2,3\]/)
    expect(() => flip(zeros([2, 3]), [0, -2])).toThrow(/^flip: axis -2 appears more than once/)
  })
  test('fluent form', () => {
    expect(
      tensor([
        [1, 2],
        [3, 4],
      ])
        .flip(0)
        .toArray(),
    ).toEqual([
      [3, 4],
      [1, 2],
    ])
  })
})

describe('tile', () => {
  test('the gradient sums the copies', () => {
    const w = tensor(
      [
        [1, 2, 3, 4, 5, 6],
        [7, 8, 9, 10, 11, 12],
      ],
      f64,
    )
    const g = grad((z: Tensor) => tile(z, [2, 3]).mul(w).sum())(zeros([1, 2], f64))
    expect(g.toArray()).toEqual([[1 + 3 + 5 + 7 + 9 + 11, 2 + 4 + 6 + 8 + 10 + 12]])
  })
  test('reps errors', () => {
    expect(() => tile(zeros([2]), -1)).toThrow(
      /^tile: reps must be a non-negative integer or a list of them, got \[-1\] \(shape \[2\]\)/,
    )
    expect(() => tile(zeros([2]), [1.5, 2])).toThrow(/^tile: reps .* got \[1.5, 2\]/)
    expect(() => tile(zeros([2]), 'x' as never)).toThrow(/^tile: reps .* got string x/)
  })
  test('fluent form', () => {
    expect(tensor([1, 2]).tile([2]).toArray()).toEqual([1, 2, 1, 2])
  })
})

describe('tril and triu', () => {
  test.each([
    ['tril', tril],
    ['triu', triu],
  ] as const)('%s errors', (name, op) => {
    expect(() => op(zeros([3]))).toThrow(
      new RegExp(`^${name}: x must have at least 2 axes \\(a matrix, or a batch of them\\), got shape \\[3\\]`),
    )
    expect(() => op(zeros([2, 2]), 0.5)).toThrow(
      new RegExp(`^${name}: k must be an integer \\(the diagonal offset\\), got number 0.5 \\(shape \\[2,2\\]\\)`),
    )
  })
  test('the gradient is the same triangle of g', () => {
    const g = grad((z: Tensor) => tril(z).sum())(zeros([2, 3], f64))
    expect(g.toArray()).toEqual([
      [1, 0, 0],
      [1, 1, 0],
    ])
  })
  test('fluent forms', () => {
    expect(
      tensor([
        [1, 2],
        [3, 4],
      ])
        .tril()
        .toArray(),
    ).toEqual([
      [1, 0],
      [3, 4],
    ])
    expect(
      tensor([
        [1, 2],
        [3, 4],
      ])
        .triu(1)
        .toArray(),
    ).toEqual([
      [0, 2],
      [0, 0],
    ])
  })
})
