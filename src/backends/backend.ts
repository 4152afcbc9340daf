/**
 * The seam between the math and the machine. An optimizer step (and any large elementwise op) is
 * a list of per-element rules over numbers; a backend runs them over flat Float32Arrays.
 * The CPU backend is the reference; the gpu.js backend builds kernels from the same rule
 * functions, so the arithmetic is identical on both (the llm.c pattern: one per-element update,
 * per-step scalars computed once on the host).
 */

/** A per-element function over numbers: a `function` declaration (gpu.js cannot read arrows),
 *  no closures over outer variables, no objects, no `**` (write Math.pow or compute on the host). */
export type RuleFn = (...args: number[]) => number

/**
 * `target[i] = fn(...args at i)`: each name in `args` is either an array (read at index i) or a
 * host-side scalar (the same for every i). The argument names are listed explicitly, not read
 * from the function's source, so minifiers that rename parameters cannot break the binding.
 */
export interface Rule {
  readonly target: string
  readonly args: readonly string[]
  readonly fn: RuleFn
}

export interface Backend {
  /** 'cpu' or 'gpujs' (with its mode, e.g. 'gpujs/webgl2'). */
  readonly name: string
  /**
   * Runs `rules` in order over every index i < length, in place: for each rule,
   * `arrays[target][i] = fn(...)` with array arguments read at i and scalar arguments from
   * `scalars`. A rule sees the values written by the rules before it at the same index.
   * All arrays have at least `length` elements.
   */
  elementwise(
    rules: readonly Rule[],
    arrays: Readonly<Record<string, Float32Array>>,
    scalars: Readonly<Record<string, number>>,
    length: number,
  ): void
}
