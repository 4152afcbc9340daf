/**
 * src/rl: the Huber loss and the DQN gradient step against PyTorch (test/fixtures/dqn.json), the
 * replay buffer, learning a task clearly better than a random policy, save/load that continues
 * exactly, and the same agent learning in a worker.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { pathToFileURL } from 'node:url'
import { Random, tensor, Tensor } from '../src/index.js'
import * as rl from '../src/rl/index.js'
import * as nn from '../src/nn/index.js'
import { adam } from '../optimizers/index.js'
import { Chain } from '../examples/rl/chain.js'
import { main as catchExample } from '../examples/rl-catch.js'
import chainSpec, { chainOptions } from './worker/chain-agent.js'
import { expectClose, numericGrad, tapeGrad } from './numeric-grad.js'

const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'dqn.json'), 'utf8'))
const boot = pathToFileURL(path.join(__dirname, 'worker', 'tsx-worker.mjs'))
const inWorker = { worker: boot, workerOptions: { argv: [path.join(__dirname, 'worker', 'chain-agent.ts')] } }

interface Agent {
  act(s: ArrayLike<number>): number
  learn(r: number, s: ArrayLike<number>, d: boolean): unknown
}

/** Runs `episodes` episodes of the chain; returns each episode's total reward and every action. */
function playChain(agent: Agent | ((s: Float32Array) => number), episodes: number, chain = new Chain(8)) {
  const totals: number[] = []
  const actions: number[] = []
  let s = chain.reset()
  let total = 0
  while (totals.length < episodes) {
    const a = typeof agent === 'function' ? agent(s) : agent.act(s)
    actions.push(a)
    const step = chain.step(a)
    if (typeof agent !== 'function') agent.learn(step.reward, step.state, step.done)
    total += step.reward
    if (step.done) {
      totals.push(total)
      total = 0
      s = chain.reset()
    } else s = step.state
  }
  return { totals, actions }
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length

interface HuberCase {
  delta: number
  reduction: 'mean' | 'sum' | 'none'
  shape: number[]
  pred: number[]
  target: number[]
  w: number[] | null
  out: number[]
  grad: number[]
}
const huberCases: [string, HuberCase][] = fixture.huber.map((c: HuberCase) => [`delta ${c.delta}, ${c.reduction}`, c])

describe('huber', () => {
  test.each(huberCases)('%s: PyTorch huber_loss values and gradients', (_, c) => {
    const p = tensor(c.pred, { shape: c.shape, requiresGrad: true })
    const out = nn.huber(p, tensor(c.target, { shape: c.shape }), { delta: c.delta, reduction: c.reduction })
    expectClose(out.data, c.out, 1e-6)
    ;(c.w ? out.mul(tensor(c.w, { shape: out.shape })).sum() : out).backward()
    expectClose(p.grad!.data, c.grad, 1e-6)
  })

  test('gradient = d clipped to [−δ, δ], by central differences in float64', () => {
    const y = tensor([0, 0, 0, 0, 0, 0], { dtype: 'float64' })
    const p = tensor([-3, -0.7, -0.2, 0.1, 0.9, 2.5], { dtype: 'float64' })
    const f = (x: Tensor) => nn.huber(x, y, { delta: 0.8, reduction: 'sum' })
    expectClose(tapeGrad(f, p), numericGrad(f, p), 1e-8)
    expectClose(tapeGrad(f, p), [-0.8, -0.7, -0.2, 0.1, 0.8, 0.8], 1e-12)
    expect(nn.huber(tensor([0.5, 3]), tensor([0, 0])).item()).toBeCloseTo(1.3125, 6)
  })

  test('errors', () => {
    expect(() => nn.huber(tensor([1, 2]), tensor([1]))).toThrow(
      'huber: predictions [2] and target [1] must have the same shape',
    )
    expect(() => nn.huber(tensor([1]), 0, { delta: 0 })).toThrow('huber: delta must be a positive finite number, got 0')
    expect(() => nn.huber(tensor([1]), 0, { reduction: 'max' as never })).toThrow(
      "reduction must be 'mean', 'sum' or 'none'",
    )
  })
})

describe('the DQN gradient step', () => {
  test('three steps match PyTorch (target, Huber loss, Adam) on a fixed batch', () => {
    const d = fixture.dqn
    const o = rl.resolveDQNOptions('test', {
      stateSize: 3,
      actions: 2,
      hidden: [5],
      gamma: d.gamma,
      huberDelta: d.delta,
      batchSize: 4,
      learnStart: 4,
      targetUpdate: 1000,
      optimizer: () => adam(d.lr),
    })
    const online = new nn.MLP(d.sizes, { rng: new Random(0) })
    const learner = new rl.DQNLearner(online, o)
    // PyTorch's Linear weight is [out, in]; tapegrad's is [in, out].
    const fromTorch = (w: number[], out: number, inn: number) =>
      Array.from({ length: inn * out }, (_, k) => w[(k % out) * inn + Math.floor(k / out)])
    const load = (net: nn.MLP, w: Record<string, number[]>) =>
      net.layers.forEach((layer, k) => {
        layer.weight.data.set(fromTorch(w[`${2 * k}.weight`], layer.outFeatures, layer.inFeatures))
        layer.bias!.data.set(w[`${2 * k}.bias`])
      })
    load(learner.online, d.online)
    load(learner.target, d.target)
    const b = d.batch
    const batch = {
      states: Float32Array.from(b.states),
      actions: Float32Array.from(b.actions),
      rewards: Float32Array.from(b.rewards),
      nextStates: Float32Array.from(b.nextStates),
      dones: Float32Array.from(b.dones),
    }
    for (let step = 0; step < 3; step++) {
      const loss = learner.gradientStep(batch)
      expect(loss).toBeCloseTo(d.losses[step], 6)
      const want = d.weights[step]
      learner.online.layers.forEach((layer, k) => {
        expectClose(layer.weight.data, fromTorch(want[`${2 * k}.weight`], layer.outFeatures, layer.inFeatures), 2e-6)
        expectClose(layer.bias!.data, want[`${2 * k}.bias`], 2e-6)
      })
    }
    expect(learner.updates).toBe(3)
  })
})

describe('ReplayBuffer', () => {
  test('a ring of the last capacity transitions; uniform samples; save/load round trip', () => {
    const replay = new rl.ReplayBuffer(3, 2)
    for (let k = 0; k < 5; k++) replay.push([k, -k], k % 2, k / 10, [k + 1, -k - 1], k === 4)
    expect(replay.size).toBe(3)
    expect(Array.from(replay.actions)).toEqual([1, 0, 0]) // 3 and 4 overwrote 0 and 1
    expect(Array.from(replay.states)).toEqual([3, -3, 4, -4, 2, -2])
    const out = {
      states: new Float32Array(200),
      actions: new Float32Array(100),
      rewards: new Float32Array(100),
      nextStates: new Float32Array(200),
      dones: new Float32Array(100),
    }
    replay.sample(100, new Random(1), out)
    const seen = new Set(Array.from(out.states.filter((_, i) => i % 2 === 0)))
    expect([...seen].sort()).toEqual([2, 3, 4])
    for (let i = 0; i < 100; i++) expect(out.nextStates[2 * i]).toBe(out.states[2 * i] + 1)
    const copy = new rl.ReplayBuffer(3, 2)
    copy.prepareLoad('test', JSON.parse(JSON.stringify(replay.save())))()
    expect(Array.from(copy.states)).toEqual(Array.from(replay.states))
    expect([copy.size, copy.next]).toEqual([replay.size, replay.next])
    expect(() => new rl.ReplayBuffer(4, 2).prepareLoad('test', replay.save())).toThrow(
      'saved with capacity 3 and state size 2, this one has 4 and 2',
    )
    expect(() => copy.prepareLoad('test', { ...replay.save(), rewards: 'AAAA' })).toThrow(
      'replay.rewards holds 3 bytes, expected 12',
    )
  })
})

describe('DQN', () => {
  test('learns the chain clearly better than a random policy (seed 0, 150 episodes)', () => {
    const agent = new rl.DQN(chainOptions)
    const { totals } = playChain(agent, 150)
    const rng = new Random(9)
    const random = mean(playChain(() => rng.int(2), 1000).totals)
    const last = mean(totals.slice(-25))
    expect(random).toBeLessThan(0.1)
    expect(last).toBeGreaterThan(0.85) // the best possible is 1 − 6·0.01 = 0.94
    expect(agent.updates).toBeGreaterThan(1000)
    expect(agent.epsilon).toBeCloseTo(0.05, 10)
  })

  test('learns Catch, the browser page game, clearly better than a random policy (seed 0, 400 episodes)', () => {
    const r = catchExample({ episodes: 400, seed: 0, log: () => {} })
    expect(r.random).toBeLessThan(-0.3)
    expect(r.last).toBeGreaterThan(r.random + 0.6)
  })

  test('save/load: a loaded agent continues exactly (actions, losses, weights); JSON text works too', () => {
    const a = new rl.DQN(chainOptions)
    playChain(a, 40)
    const text = JSON.stringify(a.save())
    const b = new rl.DQN({ ...chainOptions, seed: 7 }) // the seed chose a start only: the file holds the generators
    b.load(text)
    expect([b.steps, b.episodes, b.updates, b.replaySize, b.epsilon]).toEqual([
      a.steps,
      a.episodes,
      a.updates,
      a.replaySize,
      a.epsilon,
    ])
    // Continue both on fresh chains (the chain restarts at 0 after an episode end).
    const recording = (agent: rl.DQN, losses: (number | null)[]): Agent => ({
      act: (s) => agent.act(s),
      learn: (r, s, d) => losses.push(agent.learn(r, s, d)),
    })
    const lossesA: (number | null)[] = []
    const lossesB: (number | null)[] = []
    const runA = playChain(recording(a, lossesA), 30)
    const runB = playChain(recording(b, lossesB), 30)
    expect(runB.actions).toEqual(runA.actions)
    expect(lossesB).toEqual(lossesA)
    expect(lossesA.filter((l) => l !== null).length).toBeGreaterThan(100)
    expect(Array.from(b.net.layers[1].weight.data)).toEqual(Array.from(a.net.layers[1].weight.data))
  })

  test('load refuses what does not fit, naming it, and changes nothing', () => {
    const a = new rl.DQN(chainOptions)
    playChain(a, 10)
    const saved = a.save()
    const b = new rl.DQN(chainOptions)
    const before = JSON.stringify(b.save())
    expect(() => b.load({ ...saved, format: 'x' } as never)).toThrow(
      'expected a saved DQN agent (format \'tapegrad.dqn\'), got format "x"',
    )
    expect(() => new rl.DQN({ ...chainOptions, hidden: [16] }).load(saved)).toThrow(
      'saved by an agent with other options: hidden [32] (this agent: [16])',
    )
    expect(() => new rl.DQN({ ...chainOptions, epsilon: 0.1 }).load(saved)).toThrow(
      /saved with ε = .* but this agent's epsilon schedule gives 0.1/,
    )
    expect(() =>
      b.load({ ...saved, learner: { ...saved.learner, target: saved.learner.target.slice(0, -8) } }),
    ).toThrow("DQN 'chain': load: target holds")
    expect(() =>
      b.load({ ...saved, learner: { ...saved.learner, replay: { ...saved.learner.replay, size: 5 } } }),
    ).toThrow('replay position')
    expect(() => b.load('{not json')).toThrow('the text is not JSON')
    expect(JSON.stringify(b.save())).toBe(before)
  })

  test('the two calls are checked', () => {
    const agent = new rl.DQN(chainOptions)
    expect(() => agent.learn(1, new Float32Array(8), false)).toThrow(
      'DQN.learn: call act(state) before learn(reward, nextState, done)',
    )
    expect(() => agent.act([1, 2])).toThrow('DQN.act: state has 2 numbers, expected stateSize 8')
    expect(() => agent.act(Float32Array.of(0, 0, 0, NaN, 0, 0, 0, 0))).toThrow('DQN.act: state[3] is NaN')
    agent.act(new Float32Array(8))
    expect(() => agent.learn(Infinity, new Float32Array(8), false)).toThrow(
      'reward must be a finite number, got Infinity',
    )
    expect(() => new rl.DQN({ stateSize: 8, actions: 2, learnStart: 10 })).toThrow(
      'learnStart (10) must be at least batchSize (32)',
    )
    expect(() => new rl.DQN({ stateSize: 8, actions: 2, epsilon: 2 })).toThrow(
      'epsilon must be a number in [0, 1] or a schedule',
    )
    expect(() => new rl.DQN({ stateSize: 8, actions: 2, gama: 0.9 } as never)).toThrow("unknown option 'gama'")
  })
})

describe('startDQN: the learner behind startTraining', () => {
  test('on this thread it is the same agent as DQN, action for action', async () => {
    const here = await rl.startDQN(chainSpec)
    const plain = new rl.DQN(chainOptions)
    const a = playChain(here, 40)
    const b = playChain(plain, 40)
    expect(a.actions).toEqual(b.actions)
    await here.sync()
    expect(Array.from(here.net.layers[0].weight.data)).toEqual(Array.from(plain.net.layers[0].weight.data))
  })

  test('in a worker, with sync() after every learn, it acts exactly as DQN; its save loads into a DQN and back', async () => {
    const agent = await rl.startDQN(chainSpec, inWorker)
    try {
      const plain = new rl.DQN(chainOptions)
      const chainA = new Chain(8)
      const chainB = new Chain(8)
      let sA = chainA.reset()
      let sB = chainB.reset()
      for (let t = 0; t < 250; t++) {
        const a = agent.act(sA)
        expect(plain.act(sB)).toBe(a)
        const stepA = chainA.step(a)
        const stepB = chainB.step(a)
        agent.learn(stepA.reward, stepA.state, stepA.done)
        plain.learn(stepB.reward, stepB.state, stepB.done)
        await agent.sync()
        sA = stepA.done ? chainA.reset() : stepA.state
        sB = stepB.done ? chainB.reset() : stepB.state
      }
      expect(Array.from(agent.net.layers[1].weight.data)).toEqual(Array.from(plain.net.layers[1].weight.data))
      const saved = await agent.save()
      expect(JSON.stringify(saved)).toBe(JSON.stringify(plain.save()))
      // A worker agent loads a DQN's file.
      playChain(plain, 5)
      await agent.load(plain.save())
      expect(agent.steps).toBe(plain.steps)
      expect(Array.from(agent.net.layers[0].bias!.data)).toEqual(Array.from(plain.net.layers[0].bias!.data))
    } finally {
      await agent.terminate()
    }
  })

  test('in a worker without syncing, the transitions queue up and are all learned', async () => {
    const agent = await rl.startDQN(chainSpec, inWorker)
    try {
      const { totals } = playChain(agent, 60)
      expect(agent.backlog).toBeGreaterThanOrEqual(0)
      await agent.sync()
      expect(agent.backlog).toBe(0)
      expect(totals).toHaveLength(60)
      const saved = await agent.save()
      expect(saved.learner.transitions).toBe(agent.steps)
    } finally {
      await agent.terminate()
    }
  })
})

describe('Random state', () => {
  test('getState/setState continue the same sequence, normals included', () => {
    const r = new Random(5)
    r.normal()
    const s = r.getState()
    const a = [r.normal(), r.next(), r.int(10)]
    r.setState(s)
    expect([r.normal(), r.next(), r.int(10)]).toEqual(a)
    expect(() => r.setState([1.5, null])).toThrow(
      'Random.setState: expected [state (a 32-bit unsigned integer), spare (a finite number or null)], got [1.5,null]',
    )
  })
})
