/**
 * tapegrad's layers against PyTorch: every case of test/fixtures/nn.json (written by
 * test/fixtures/make_nn_fixtures.py with torch.nn in float64).
 *
 * Each case names a torch.nn module, its constructor arguments and its state (parameters and
 * buffers under PyTorch's names). Here the same tapegrad layer is built, the state is loaded with
 * `loadStateDict` (PyTorch's snake_case names camel-cased: weight_ih_l0 → weightIhL0,
 * running_mean → runningMean), the steps run in the same mode, and the last step's outputs, the
 * gradients of Σₖ (outputₖ · wₖ).sum() with respect to the inputs and every parameter, and the
 * buffers afterwards (running statistics) must match — in float32 at rtol 1e-4 and in float64 at
 * rtol 1e-6, on the same inputs (the fixture's inputs are float32-representable).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Tensor, noGrad } from '../src/index.js'
import * as nn from '../src/nn/index.js'

interface Packed {
  shape: number[]
  dtype: 'float64' | 'int64'
  data: number[]
}
interface Case {
  name: string
  module: 'BatchNorm1d' | 'BatchNorm2d' | 'RNNCell' | 'LSTMCell' | 'GRUCell' | 'RNN' | 'LSTM' | 'GRU'
  args: number[]
  options: Record<string, unknown>
  train: boolean
  params: Record<string, Packed>
  buffers: Record<string, Packed>
  steps: [string, Packed][][]
  outputs: [string, Packed][]
  w: [string, Packed][]
  loss: number
  grads: Record<string, Packed>
  buffers_after: Record<string, Packed>
}

const fixtures: { torch: string; cases: Case[] } = JSON.parse(
  readFileSync(join(__dirname, 'fixtures', 'nn.json'), 'utf8'),
)

/** PyTorch's parameter and buffer names, camel-cased: weight_ih_l0 → weightIhL0. */
function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())
}

type DType = 'float32' | 'float64'

function toTensor(p: Packed, dtype: DType, requiresGrad = false): Tensor {
  const data = dtype === 'float64' ? Float64Array.from(p.data) : Float32Array.from(p.data)
  const t = new Tensor(data, p.shape.slice())
  t.requiresGrad = requiresGrad
  return t
}

function build(c: Case, dtype: DType): nn.Module<unknown> {
  const options = { ...c.options, dtype }
  const [a, b] = c.args
  switch (c.module) {
    case 'BatchNorm1d':
      return new nn.BatchNorm1d(a, options)
    case 'BatchNorm2d':
      return new nn.BatchNorm2d(a, options)
    case 'RNNCell':
      return new nn.RNNCell(a, b, options)
    case 'LSTMCell':
      return new nn.LSTMCell(a, b, options)
    case 'GRUCell':
      return new nn.GRUCell(a, b, options)
    case 'RNN':
      return new nn.RNN(a, b, options)
    case 'LSTM':
      return new nn.LSTM(a, b, options)
    case 'GRU':
      return new nn.GRU(a, b, options)
  }
}

/** Calls the module as the fixture's torch module was called; returns the outputs in the fixture's order. */
function run(c: Case, m: nn.Module<unknown>, inputs: Tensor[]): Tensor[] {
  const [x, ...state] = inputs
  switch (c.module) {
    case 'BatchNorm1d':
    case 'BatchNorm2d':
      return [(m as nn.BatchNorm).forward(x)]
    case 'RNNCell':
    case 'GRUCell':
      return [(m as nn.RNNCell).forward(x, state[0])]
    case 'LSTMCell':
      return (m as nn.LSTMCell).forward(x, state.length ? [state[0], state[1]] : undefined)
    case 'LSTM': {
      const [out, [h, cc]] = (m as nn.LSTM).forward(x, state.length ? [state[0], state[1]] : undefined)
      return [out, h, cc]
    }
    case 'RNN':
    case 'GRU':
      return (m as nn.GRU).forward(x, state[0])
  }
}

function expectClose(
  what: string,
  actual: Tensor | null | undefined,
  expected: Packed,
  rtol: number,
  atol: number,
): void {
  if (!actual) throw new Error(`${what}: missing (expected shape [${expected.shape}])`)
  expect({ what, shape: actual.shape }).toEqual({ what, shape: expected.shape })
  let worst = -1
  let at = 0
  for (let i = 0; i < expected.data.length; i++) {
    const err = Math.abs(actual.data[i] - expected.data[i]) / (atol + rtol * Math.abs(expected.data[i]))
    if (!(err <= worst)) {
      worst = err
      at = i
    }
  }
  if (!(worst <= 1)) {
    throw new Error(
      `${what}: element ${at} is ${actual.data[at]}, PyTorch has ${expected.data[at]} (rtol ${rtol}, atol ${atol})`,
    )
  }
}

const TOLERANCES: Record<DType, { rtol: number; atol: number }> = {
  float32: { rtol: 1e-4, atol: 1e-5 },
  float64: { rtol: 1e-6, atol: 1e-9 },
}

test('the fixture file was made by torch and holds every layer kind', () => {
  expect(fixtures.torch).toMatch(/^1\.13/)
  const kinds = new Set(fixtures.cases.map((c) => c.module))
  expect([...kinds].sort()).toEqual([
    'BatchNorm1d',
    'BatchNorm2d',
    'GRU',
    'GRUCell',
    'LSTM',
    'LSTMCell',
    'RNN',
    'RNNCell',
  ])
})

describe.each(['float32', 'float64'] as const)('%s', (dtype) => {
  const { rtol, atol } = TOLERANCES[dtype]
  test.each(fixtures.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const m = build(c, dtype)
    const state: Record<string, nn.SerializedTensor> = {}
    for (const [k, v] of Object.entries({ ...c.params, ...c.buffers }))
      state[camel(k)] = { shape: v.shape, data: v.data }
    m.loadStateDict(state) // strict: the names and shapes must be exactly PyTorch's
    m.train(c.train)

    for (const step of c.steps.slice(0, -1))
      noGrad(() =>
        run(
          c,
          m,
          step.map(([, p]) => toTensor(p, dtype)),
        ),
      )
    const last = c.steps[c.steps.length - 1]
    const inputs = last.map(([, p]) => toTensor(p, dtype, true))
    const outputs = run(c, m, inputs)
    expect(outputs).toHaveLength(c.outputs.length)
    outputs.forEach((o, k) => expectClose(`output ${c.outputs[k][0]}`, o, c.outputs[k][1], rtol, atol))

    let loss: Tensor | null = null
    outputs.forEach((o, k) => {
      const term = o.mul(toTensor(c.w[k][1], dtype)).sum()
      loss = loss ? loss.add(term) : term
    })
    expect(Math.abs(loss!.item() - c.loss)).toBeLessThanOrEqual(atol * 10 + rtol * Math.abs(c.loss))
    loss!.backward()
    last.forEach(([name], k) => expectClose(`d loss / d ${name}`, inputs[k].grad, c.grads[name], rtol, atol))
    const params = new Map(m.namedParameters())
    expect([...params.keys()].sort()).toEqual(Object.keys(c.params).map(camel).sort())
    for (const name of Object.keys(c.params))
      expectClose(`d loss / d ${name}`, params.get(camel(name))!.grad, c.grads[name], rtol, atol)
    const buffers = new Map(m.namedBuffers())
    expect([...buffers.keys()].sort()).toEqual(Object.keys(c.buffers_after).map(camel).sort())
    for (const [name, p] of Object.entries(c.buffers_after))
      expectClose(`buffer ${name} afterwards`, buffers.get(camel(name)), p, rtol, atol)
  })
})
