/**
 * The teaching page's expression language (examples/web/expr.ts) and the toDot options it
 * draws the stepped tape with (`gradient`, `highlight`).
 */
import { backward, tapeOf, tensor, toDot, type Tensor } from '../src/index.js'
import { evaluate, ExpressionError, parseExpression, variablesOf } from '../examples/web/expr.js'
import { expectClose, numericGrad } from './numeric-grad.js'

const vars = { x: 0.7, y: 1.3, b: -0.4 }
const leaves = (dtype: 'float64' = 'float64') =>
  Object.fromEntries(Object.entries(vars).map(([n, v]) => [n, tensor(v, { dtype, requiresGrad: true })]))

/** Expressions with the same computation in plain JavaScript. */
const CASES: [string, (x: number, y: number, b: number) => number][] = [
  ['tanh(x*y + b)', (x, y, b) => Math.tanh(x * y + b)],
  ['x - y - b', (x, y, b) => x - y - b], // left-associative
  ['x / y / 2', (x, y) => x / y / 2],
  ['2^3^2 * x', (x) => 2 ** 9 * x], // right-associative power
  ['-x^2 + -(-y)', (x, y) => -(x ** 2) + y], // unary minus below power
  ['x^-1 + y^0.5 + x^y', (x, y) => x ** -1 + y ** 0.5 + x ** y],
  [
    'sigmoid(x) * relu(b) + relu(-b) - exp(b) / log(y)',
    (x, y, b) => (1 / (1 + Math.exp(-x))) * Math.max(b, 0) + Math.max(-b, 0) - Math.exp(b) / Math.log(y),
  ],
  [
    'sqrt(abs(b)) + square(x) + sin(x) * cos(y)',
    (x, y, b) => Math.sqrt(Math.abs(b)) + x * x + Math.sin(x) * Math.cos(y),
  ],
  ['max(x, y) - min(x, b) + 1.5e-1', (x, y, b) => Math.max(x, y) - Math.min(x, b) + 0.15],
  ['((x))*.5 − y', (x, y) => x * 0.5 - y], // typographic minus
]

describe('expressions', () => {
  test.each(CASES)('%s: value as JavaScript computes it, gradient by central differences', (text, js) => {
    const e = parseExpression(text)
    const v = leaves()
    const f = evaluate(e, v)
    expect(f.item()).toBeCloseTo(js(vars.x, vars.y, vars.b), 12)
    backward(f)
    for (const name of variablesOf(e)) {
      const at = (t: Tensor) => evaluate(e, { ...leaves(), [name]: t })
      expectClose([v[name].grad!.item()], numericGrad(at, tensor(vars[name as 'x'], { dtype: 'float64' })), 1e-7)
    }
  })

  test('variables in order of first appearance; numbers fold; a pure number is a constant', () => {
    expect(variablesOf(parseExpression('tanh(x*y + b) + x'))).toEqual(['x', 'y', 'b'])
    expect(tapeOf(evaluate(parseExpression('x * (2 + 3)'), leaves())).entries.map((e) => e.op)).toEqual(['mul'])
    expect(evaluate(parseExpression('2^-1'), {}).item()).toBe(0.5)
    expect(tapeOf(evaluate(parseExpression('x^2'), leaves())).entries[0].op).toBe('pow') // the constant exponent
  })

  test.each([
    ['', 'at 1: the expression is empty'],
    ['tanh(x*', "at 8: expected a number, a variable, a function or '(', found the end"],
    ['x + * y', "at 5: expected a number, a variable, a function or '(', found '*'"],
    [
      'tan(x)',
      "at 1: unknown function 'tan' (known: tanh, sigmoid, relu, exp, log, sqrt, abs, square, sin, cos, max, min)",
    ],
    ['max(x)', 'at 1: max takes 2 arguments, got 1'],
    ['(x + y', "at 7: expected ')' to close the parenthesis, found the end"],
    ['x y', "at 3: expected an operator or the end, found 'y'"],
    ['exp + 1', "at 1: 'exp' is a function: write exp(…)"],
    ['x $ 2', "at 3: unexpected character '$'"],
    ['alert(1)', "at 1: unknown function 'alert'"],
  ])('%j is refused: %s', (text, message) => {
    expect(() => parseExpression(text)).toThrow(ExpressionError)
    expect(() => parseExpression(text)).toThrow(message)
  })

  test('a variable without a value is an error that names it', () => {
    expect(() => evaluate(parseExpression('x + z'), leaves())).toThrow("at 5: the variable 'z' has no value")
  })
})

describe('toDot: gradient and highlight', () => {
  test('gradients from a stepper as they arrive, intermediate tensors included; the entry just run highlighted', () => {
    const v = leaves()
    const f = evaluate(parseExpression('tanh(x*y + b)'), v)
    const steps = tapeOf(f).backwardSteps()
    steps.next() // tanh: its input (x*y + b) now has a gradient, x and y not yet
    const dot = toDot(f, { names: v, gradient: (t) => steps.gradient(t), highlight: [2] })
    const g = steps.gradient(tapeOf(f).entries[1].output)!.item()
    expect(g).toBeCloseTo(1 - Math.tanh(0.7 * 1.3 - 0.4) ** 2, 12)
    expect(dot).toContain(`grad ${Number(g.toPrecision(5))}`)
    expect(dot).toMatch(/label="x\\nscalar f64\\nvalue 0.7\\nrequiresGrad"/) // no gradient for x yet
    expect(dot).toMatch(/"#3 tanh"\];/)
    expect(dot).toContain('fillcolor="#ffd166"') // the tanh oval
    expect((dot.match(/color="#d62828", penwidth=2/g) ?? []).length).toBe(3) // the oval, its input and its output
    // Without the options: .grad and no highlight, as before.
    expect(toDot(f, { names: v })).not.toContain('#ffd166')
  })
})
