/**
 * A tiny, safe expression language for the teaching page: numbers, variables, + − * / ^,
 * parentheses and a few functions — parsed by hand (no `eval`, no `Function`), then evaluated
 * with tapegrad's ops, so that the tape records exactly what the student wrote.
 *
 *   expr  := term (('+' | '−') term)*
 *   term  := unary (('*' | '/') unary)*
 *   unary := '−' unary | power
 *   power := atom ('^' unary)?            right-associative: a^b^c = a^(b^c); −x^2 = −(x^2)
 *   atom  := number | name | name '(' expr (',' expr)* ')' | '(' expr ')'
 */
import {
  abs,
  add,
  cos,
  div,
  exp,
  log,
  maximum,
  minimum,
  mul,
  neg,
  pow,
  relu,
  sigmoid,
  sin,
  sqrt,
  square,
  sub,
  tanh,
  tensor,
  Tensor,
} from '../../src/index.js'

/** A parsed expression. `pos` is where it starts in the text (0-based), for error messages. */
export type Expr =
  | { kind: 'number'; value: number; pos: number }
  | { kind: 'variable'; name: string; pos: number }
  | { kind: 'unary'; op: '-'; arg: Expr; pos: number }
  | { kind: 'binary'; op: '+' | '-' | '*' | '/' | '^'; left: Expr; right: Expr; pos: number }
  | { kind: 'call'; name: string; args: Expr[]; pos: number }

type Unary = (x: Tensor) => Tensor
/** The functions, with their number of arguments. */
const FUNCTIONS: Record<string, { arity: 1; fn: Unary } | { arity: 2; fn: (a: Tensor, b: Tensor) => Tensor }> = {
  tanh: { arity: 1, fn: tanh },
  sigmoid: { arity: 1, fn: sigmoid },
  relu: { arity: 1, fn: relu },
  exp: { arity: 1, fn: exp },
  log: { arity: 1, fn: log },
  sqrt: { arity: 1, fn: sqrt },
  abs: { arity: 1, fn: abs },
  square: { arity: 1, fn: square },
  sin: { arity: 1, fn: sin },
  cos: { arity: 1, fn: cos },
  max: { arity: 2, fn: maximum },
  min: { arity: 2, fn: minimum },
}

/** The function names the language knows. */
export const FUNCTION_NAMES = Object.keys(FUNCTIONS)

interface Token {
  type: 'number' | 'name' | 'op' | 'end'
  text: string
  pos: number
}

/** An error in the expression, with the position it refers to. */
export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(`at ${pos + 1}: ${message}`)
    this.name = 'ExpressionError'
  }
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < text.length) {
    const c = text[i]
    if (c === ' ' || c === '\t' || c === '\n') {
      i++
      continue
    }
    const rest = text.slice(i)
    const num = /^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?/i.exec(rest)
    if (num) {
      tokens.push({ type: 'number', text: num[0], pos: i })
      i += num[0].length
      continue
    }
    const name = /^[A-Za-z_][A-Za-z_0-9]*/.exec(rest)
    if (name) {
      tokens.push({ type: 'name', text: name[0], pos: i })
      i += name[0].length
      continue
    }
    if ('+-*/^(),'.includes(c)) {
      tokens.push({ type: 'op', text: c, pos: i })
      i++
      continue
    }
    if (c === '−') {
      tokens.push({ type: 'op', text: '-', pos: i }) // the typographic minus reads as '-'
      i++
      continue
    }
    throw new ExpressionError(`unexpected character '${c}'`, i)
  }
  tokens.push({ type: 'end', text: 'the end', pos: text.length })
  return tokens
}

/**
 * Parses `text`; throws an ExpressionError that says where and what was expected.
 * @example parseExpression('tanh(x*y + b)').kind // 'call'
 */
export function parseExpression(text: string): Expr {
  if (typeof text !== 'string' || !text.trim()) throw new ExpressionError('the expression is empty', 0)
  const tokens = tokenize(text)
  let k = 0
  const peek = () => tokens[k]
  const isOp = (t: Token, ...ops: string[]) => t.type === 'op' && ops.includes(t.text)
  const show = (t: Token) => (t.type === 'end' ? 'the end' : `'${t.text}'`)
  const expect = (op: string, what: string) => {
    const t = peek()
    if (!isOp(t, op)) throw new ExpressionError(`expected '${op}' ${what}, found ${show(t)}`, t.pos)
    k++
  }

  const expr = (): Expr => {
    let left = term()
    while (isOp(peek(), '+', '-')) {
      const t = tokens[k++]
      left = { kind: 'binary', op: t.text as '+' | '-', left, right: term(), pos: t.pos }
    }
    return left
  }
  const term = (): Expr => {
    let left = unary()
    while (isOp(peek(), '*', '/')) {
      const t = tokens[k++]
      left = { kind: 'binary', op: t.text as '*' | '/', left, right: unary(), pos: t.pos }
    }
    return left
  }
  const unary = (): Expr => {
    if (isOp(peek(), '-')) {
      const t = tokens[k++]
      return { kind: 'unary', op: '-', arg: unary(), pos: t.pos }
    }
    if (isOp(peek(), '+')) {
      k++
      return unary()
    }
    return power()
  }
  const power = (): Expr => {
    const base = atom()
    if (isOp(peek(), '^')) {
      const t = tokens[k++]
      return { kind: 'binary', op: '^', left: base, right: unary(), pos: t.pos }
    }
    return base
  }
  const atom = (): Expr => {
    const t = peek()
    if (t.type === 'number') {
      k++
      const value = Number(t.text)
      if (!Number.isFinite(value)) throw new ExpressionError(`the number ${t.text} is too large`, t.pos)
      return { kind: 'number', value, pos: t.pos }
    }
    if (t.type === 'name') {
      k++
      if (isOp(peek(), '(')) {
        const f = FUNCTIONS[t.text]
        if (!f) throw new ExpressionError(`unknown function '${t.text}' (known: ${FUNCTION_NAMES.join(', ')})`, t.pos)
        k++
        const args = [expr()]
        while (isOp(peek(), ',')) {
          k++
          args.push(expr())
        }
        expect(')', `after the arguments of ${t.text}`)
        if (args.length !== f.arity)
          throw new ExpressionError(
            `${t.text} takes ${f.arity} argument${f.arity > 1 ? 's' : ''}, got ${args.length}`,
            t.pos,
          )
        return { kind: 'call', name: t.text, args, pos: t.pos }
      }
      if (FUNCTIONS[t.text]) throw new ExpressionError(`'${t.text}' is a function: write ${t.text}(…)`, t.pos)
      return { kind: 'variable', name: t.text, pos: t.pos }
    }
    if (isOp(t, '(')) {
      k++
      const inner = expr()
      expect(')', 'to close the parenthesis')
      return inner
    }
    throw new ExpressionError(`expected a number, a variable, a function or '(', found ${show(t)}`, t.pos)
  }

  const result = expr()
  if (peek().type !== 'end')
    throw new ExpressionError(`expected an operator or the end, found ${show(peek())}`, peek().pos)
  return result
}

/**
 * The variables of an expression, in order of first appearance.
 * @example variablesOf(parseExpression('tanh(x*y + b)')) // ['x', 'y', 'b']
 */
export function variablesOf(e: Expr): string[] {
  const out: string[] = []
  const walk = (n: Expr): void => {
    if (n.kind === 'variable') {
      if (!out.includes(n.name)) out.push(n.name)
    } else if (n.kind === 'unary') walk(n.arg)
    else if (n.kind === 'binary') {
      walk(n.left)
      walk(n.right)
    } else if (n.kind === 'call') n.args.forEach(walk)
  }
  walk(e)
  return out
}

/**
 * Evaluates the expression with tapegrad ops on the given variables (0-d tensors); numbers stay
 * constants. An exponent that is a number (`x^2`, `x^-1`) becomes pow's constant exponent.
 * @example evaluate(parseExpression('x*x + 1'), { x: tensor(3) }).item() // 10
 */
export function evaluate(e: Expr, vars: Readonly<Record<string, Tensor>>): Tensor {
  const constant = (v: number) => tensor(v, { dtype: 'float64' })
  const asTensor = (v: Tensor | number) => (v instanceof Tensor ? v : constant(v))
  const literal = (n: Expr): number | null =>
    n.kind === 'number' ? n.value : n.kind === 'unary' && n.arg.kind === 'number' ? -n.arg.value : null
  const ev = (n: Expr): Tensor | number => {
    switch (n.kind) {
      case 'number':
        return n.value
      case 'variable': {
        const t = vars[n.name]
        if (!t) throw new ExpressionError(`the variable '${n.name}' has no value`, n.pos)
        return t
      }
      case 'unary': {
        const a = ev(n.arg)
        return typeof a === 'number' ? -a : neg(a)
      }
      case 'binary': {
        if (n.op === '^') {
          const a = ev(n.left)
          const p = literal(n.right)
          if (typeof a === 'number' && p !== null) return a ** p
          return pow(asTensor(a), p ?? asTensor(ev(n.right)))
        }
        const a = ev(n.left)
        const b = ev(n.right)
        if (typeof a === 'number' && typeof b === 'number')
          return n.op === '+' ? a + b : n.op === '-' ? a - b : n.op === '*' ? a * b : a / b
        return n.op === '+' ? add(a, b) : n.op === '-' ? sub(a, b) : n.op === '*' ? mul(a, b) : div(a, b)
      }
      case 'call': {
        const f = FUNCTIONS[n.name]
        const args = n.args.map((a) => asTensor(ev(a)))
        return f.arity === 1 ? f.fn(args[0]) : f.fn(args[0], args[1])
      }
    }
  }
  return asTensor(ev(e))
}
