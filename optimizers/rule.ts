/**
 * A rule: one line of an optimizer's per-element math, `target[i] = fn(…args at i)`, in the
 * form every backend can run (see `Rule` in src/backends/backend.ts).
 */
import type { Rule, RuleFn } from '../src/backends/backend.js'

export type { Rule, RuleFn }

/**
 * One per-element rule: `target[i] = fn(…args at i)`. Each name in `args` is the flat parameter
 * array `'x'`, the gradient `'g'`, a slot (`'m'`, `'v'`, …) read at index i, or a host-side
 * scalar of the step (`'lr'`, `'b1'`, …). Rules run in order; a rule sees the values the rules
 * before it computed at the same index.
 *
 * `fn` must be a `function` declaration over numbers with one parameter per name in `args`:
 * gpu.js compiles its source (it cannot read arrow functions, methods, closures or objects), and
 * the names are listed explicitly rather than read from the source, so that a minifier renaming
 * the parameters cannot change what binds to what. No `**` inside rules (gpu.js rejects it):
 * compute powers on the host, once per step, and pass them as scalars.
 *
 * @example
 * import { rule } from 'tapegrad/optimizers'
 *
 * function descend(x: number, g: number, lr: number) { return x - lr * g }
 * const sgdRule = rule('x', ['x', 'g', 'lr'], descend)
 * sgdRule.args   // ['x', 'g', 'lr']
 * rule('x', ['x', 'g', 'lr'], (x: number, g: number, lr: number) => x - lr * g)   // throws must be a `function` declaration
 */
export function rule(target: string, args: readonly string[], fn: RuleFn): Rule {
  if (typeof target !== 'string' || !target) {
    throw new Error(`rule: target must be a non-empty array name, got ${String(target)}`)
  }
  if (!Array.isArray(args) || args.some((a) => typeof a !== 'string' || !a)) {
    throw new Error(`rule '${target}': args must be an array of names, got ${JSON.stringify(args)}`)
  }
  if (typeof fn !== 'function') throw new Error(`rule '${target}': fn must be a function, got ${typeof fn}`)
  const name = fn.name || 'anonymous'
  // Arrow functions and methods have no prototype; `function` declarations and expressions do.
  if (!Object.prototype.hasOwnProperty.call(fn, 'prototype')) {
    const why = 'gpu.js cannot compile arrow functions or methods'
    throw new Error(`rule '${target}': '${name}' must be a \`function\` declaration over numbers (${why})`)
  }
  if (fn.length !== args.length) {
    const listed = `${args.length} names are listed [${args.join(', ')}]`
    throw new Error(`rule '${target}': '${name}' takes ${fn.length} parameters but ${listed}`)
  }
  if (/\*\*/.test(stripComments(Function.prototype.toString.call(fn)))) {
    const fix = "compute powers on the host once per step and pass them as scalars (gpu.js cannot compile '**')"
    throw new Error(`rule '${target}': '${name}' uses '**'; ${fix}`)
  }
  return Object.freeze({ target, args: Object.freeze(args.slice()), fn })
}

function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '')
}
