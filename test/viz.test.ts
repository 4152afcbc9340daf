import { tapeOf, tensor } from '../src/index.js'
import * as nn from '../src/nn/index.js'
import { toDot, toSvg } from '../src/viz/index.js'

/** An expression through many different ops, on tensors of several shapes. */
function expression() {
  const x = tensor(
    [
      [1, 2, 3],
      [4, 5, 6],
    ],
    { requiresGrad: true },
  )
  const w = tensor([[0.1], [0.2], [-0.3]], { requiresGrad: true })
  const c = tensor([[2], [3]]) // a constant: no gradient
  const y = x.matmul(w).relu().add(c).mul(x.sum(1, true)).exp().log().tanh().pow(2).sum()
  return { x, w, c, y }
}

describe('toDot', () => {
  test('shows every op of the tape, in tape order, with its output shape', () => {
    const { y } = expression()
    const dot = toDot(y)
    const entries = tapeOf(y).entries
    expect(entries.length).toBeGreaterThanOrEqual(9)
    entries.forEach((e, k) => expect(dot).toContain(`label="#${k + 1} ${e.op}`))
    for (const name of ['matmul', 'relu', 'add', 'mul', 'sum', 'exp', 'log', 'tanh', 'pow'])
      expect(dot).toMatch(new RegExp(`#\\d+ ${name}`))
    expect(dot).toContain('[2,1]') // matmul's output
    expect(dot.startsWith('digraph "tape" {')).toBe(true)
    expect(dot.trim().endsWith('}')).toBe(true)
  })

  test('marks the leaves that need gradients, and tells constants apart', () => {
    const { x, w, c, y } = expression()
    const dot = toDot(y, { names: { x, w, c } })
    const node = (name: string) => dot.split('\n').find((l) => l.includes(`label="${name}\\n`))!
    expect(node('x')).toContain('requiresGrad')
    expect(node('x')).toContain('fillcolor="#cfe3ff"')
    expect(node('w')).toContain('requiresGrad')
    expect(node('c')).not.toContain('requiresGrad')
    expect(node('c')).toContain('dashed')
    // Exactly one node has the double border: the tensor the picture was drawn from.
    expect(dot.match(/peripheries=2/g)!.length).toBe(1)
  })

  test('names parameters from namedParameters() and one-element values and gradients', () => {
    const net = new nn.Linear(2, 1)
    const loss = nn.mse(net.forward(tensor([[1, 2]])), tensor([[0.5]]))
    loss.backward(undefined, { retainGraph: true })
    const dot = toDot(loss, { names: net.namedParameters(), rankdir: 'TB' })
    expect(dot).toContain('label="weight\\n[2,1]')
    expect(dot).toContain('label="bias\\n[1]')
    expect(dot).toContain('rankdir=TB')
    expect(dot).toMatch(/value [\d.e-]+/) // the loss, a scalar
    expect(dot).toContain(`grad ${+net.bias!.grad!.data[0].toPrecision(5)}`)
  })

  test('a freed tape cannot be drawn; retainGraph keeps it', () => {
    const a = tensor([1, 2], { requiresGrad: true })
    const y = a.mul(a).sum()
    y.backward()
    expect(() => toDot(y)).toThrow(/^toDot: the graph through 'sum' .* was already freed .* retainGraph/)
    const z = a.mul(3).sum()
    z.backward(undefined, { retainGraph: true })
    expect(toDot(z)).toContain('#2 sum')
  })

  test('a leaf alone is one node; non-tensors are refused', () => {
    const dot = toDot(tensor([1, 2, 3], { requiresGrad: true }))
    expect(dot.match(/shape=box/g)!.length).toBe(1)
    expect(dot).not.toContain('ellipse')
    expect(() => toDot(3 as never)).toThrow('toDot: expected a Tensor, got number')
  })

  test('labels with quotes and backslashes are escaped', () => {
    const a = tensor([1], { requiresGrad: true })
    a.label = 'say "hi" \\ bye'
    expect(toDot(a.mul(2))).toContain('label="say \\"hi\\" \\\\ bye\\n[1]')
  })
})

describe('toSvg', () => {
  test('renders the DOT of a tape (Graphviz parses it: every op appears as text in the SVG)', async () => {
    const { y } = expression()
    const dot = toDot(y)
    const svg = await toSvg(dot)
    expect(svg).toContain('<svg')
    for (const e of tapeOf(y).entries) expect(svg).toContain(`${e.op}</text>`)
    // A tensor can be passed directly.
    expect(await toSvg(y)).toBe(svg)
  })

  test('bad DOT gives a clear error', async () => {
    await expect(toSvg('digraph { a -> ')).rejects.toThrow(/^toSvg: Graphviz could not render this DOT/)
    await expect(toSvg(42 as never)).rejects.toThrow('toSvg: expected DOT text or a Tensor, got number')
  })
})
