/**
 * The options of a DQN agent, their defaults, and the Q-network they describe.
 */
import { adam } from '../../optimizers/adam.js'
import type { Optimizer } from '../../optimizers/optimizer.js'
import { makeSchedule, polynomialDecay, type Schedule, type ScheduleLike } from '../../optimizers/schedules.js'
import { describeValue } from '../describe-value.js'
import type { ActivationName } from '../nn/activations.js'
import { MLP } from '../nn/mlp.js'
import type { Random } from '../random.js'

/** Options of a DQN agent (`new DQN(options)`, `dqnTraining(options)`). */
export interface DQNOptions {
  /** Numbers in a state (the Q-network's input size). */
  stateSize: number
  /** Number of discrete actions 0 … actions − 1 (the Q-network's output size). */
  actions: number
  /** Hidden layer sizes of the Q-network (default [64, 64]). */
  hidden?: readonly number[]
  /** Activation between the layers (default 'relu'). */
  activation?: ActivationName
  /** Makes the optimizer (default `() => adam(1e-3)`); called once, in the thread that learns. */
  optimizer?: () => Optimizer
  /** Discount γ of future rewards, in [0, 1] (default 0.99). */
  gamma?: number
  /** Transitions per gradient step (default 32). */
  batchSize?: number
  /** Transitions the replay buffer keeps (default 10,000). */
  replaySize?: number
  /** Transitions collected before the first gradient step (default 500; at least batchSize). */
  learnStart?: number
  /** One gradient step every `trainEvery` transitions (default 1). */
  trainEvery?: number
  /** Gradient steps between copies of the online network into the target network (default 250). */
  targetUpdate?: number
  /**
   * Exploration ε as a function of the number of transitions seen, or a constant (default: linear
   * from 1 to 0.05 over 5,000 transitions, then 0.05).
   */
  epsilon?: ScheduleLike
  /** δ of the Huber loss (default 1). */
  huberDelta?: number
  /** Seed of the initial weights, of the exploration and of the replay sampling (default 0). */
  seed?: number
  /** Names the agent in errors and in the worker (default 'dqn'). */
  name?: string
}

/** The options with every default filled in (and ε as a schedule). */
export interface ResolvedDQNOptions {
  readonly stateSize: number
  readonly actions: number
  readonly hidden: readonly number[]
  readonly activation: ActivationName
  readonly optimizer: () => Optimizer
  readonly gamma: number
  readonly batchSize: number
  readonly replaySize: number
  readonly learnStart: number
  readonly trainEvery: number
  readonly targetUpdate: number
  readonly epsilon: Schedule
  readonly huberDelta: number
  readonly seed: number
  readonly name: string
}

const KNOWN = [
  'stateSize',
  'actions',
  'hidden',
  'activation',
  'optimizer',
  'gamma',
  'batchSize',
  'replaySize',
  'learnStart',
  'trainEvery',
  'targetUpdate',
  'epsilon',
  'huberDelta',
  'seed',
  'name',
]

function positiveInteger(who: string, what: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 1)
    throw new Error(`${who}: ${what} must be a positive integer, got ${describeValue(v)}`)
  return v as number
}

/**
 * Checks the options and fills in the defaults; throws, naming the option, on a bad value.
 * @example
 * import { resolveDQNOptions } from 'tapegrad/rl'
 *
 * resolveDQNOptions('DQN', { stateSize: 4, actions: 2 }).hidden // [64, 64]
 * resolveDQNOptions('DQN', { stateSize: 4, actions: 0 })        // throws DQN: actions
 */
export function resolveDQNOptions(who: string, options: DQNOptions | ResolvedDQNOptions): ResolvedDQNOptions {
  if (options === null || typeof options !== 'object')
    throw new Error(`${who}: options must be an object { stateSize, actions, … }, got ${describeValue(options)}`)
  for (const k of Object.keys(options))
    if (!KNOWN.includes(k)) throw new Error(`${who}: unknown option '${k}' (known: ${KNOWN.join(', ')})`)
  const o = options as DQNOptions
  const stateSize = positiveInteger(who, 'stateSize', o.stateSize)
  const actions = positiveInteger(who, 'actions', o.actions)
  if (actions < 2) throw new Error(`${who}: actions must be at least 2, got ${actions}`)
  const hidden = o.hidden ?? [64, 64]
  if (!Array.isArray(hidden))
    throw new Error(`${who}: hidden must be an array of layer sizes, got ${describeValue(hidden)}`)
  hidden.forEach((h, i) => positiveInteger(who, `hidden[${i}]`, h))
  const gamma = o.gamma ?? 0.99
  if (typeof gamma !== 'number' || !(gamma >= 0 && gamma <= 1))
    throw new Error(`${who}: gamma must be a number in [0, 1], got ${describeValue(gamma)}`)
  const batchSize = positiveInteger(who, 'batchSize', o.batchSize ?? 32)
  const replaySize = positiveInteger(who, 'replaySize', o.replaySize ?? 10_000)
  const learnStart = positiveInteger(who, 'learnStart', o.learnStart ?? 500)
  if (learnStart < batchSize)
    throw new Error(`${who}: learnStart (${learnStart}) must be at least batchSize (${batchSize})`)
  const huberDelta = o.huberDelta ?? 1
  if (typeof huberDelta !== 'number' || !(huberDelta > 0) || !Number.isFinite(huberDelta))
    throw new Error(`${who}: huberDelta must be a positive number, got ${describeValue(huberDelta)}`)
  const seed = o.seed ?? 0
  if (!Number.isInteger(seed) || seed < 0)
    throw new Error(`${who}: seed must be a non-negative integer, got ${describeValue(seed)}`)
  const optimizer = o.optimizer ?? (() => adam(1e-3))
  if (typeof optimizer !== 'function')
    throw new Error(
      `${who}: optimizer must be a function () => Optimizer (e.g. () => adam(1e-3)), got ${describeValue(optimizer)}`,
    )
  const eps = o.epsilon ?? polynomialDecay(1, 5000, 0.05)
  if (typeof eps !== 'function' && (typeof eps !== 'number' || !(eps >= 0 && eps <= 1)))
    throw new Error(`${who}: epsilon must be a number in [0, 1] or a schedule (steps) => ε, got ${describeValue(eps)}`)
  const name = o.name ?? 'dqn'
  if (typeof name !== 'string' || !name)
    throw new Error(`${who}: name must be a non-empty string, got ${describeValue(name)}`)
  return Object.freeze({
    stateSize,
    actions,
    hidden: Object.freeze(hidden.slice()),
    activation: o.activation ?? 'relu',
    optimizer,
    gamma,
    batchSize,
    replaySize,
    learnStart,
    trainEvery: positiveInteger(who, 'trainEvery', o.trainEvery ?? 1),
    targetUpdate: positiveInteger(who, 'targetUpdate', o.targetUpdate ?? 250),
    epsilon: makeSchedule(eps),
    huberDelta,
    seed,
    name,
  })
}

/** ε at `steps` transitions, checked to be a probability. */
export function epsilonAt(who: string, o: ResolvedDQNOptions, steps: number): number {
  const e = o.epsilon(steps)
  if (typeof e !== 'number' || !(e >= 0 && e <= 1))
    throw new Error(`${who}: the epsilon schedule gave ${describeValue(e)} at step ${steps}; ε must be in [0, 1]`)
  return e
}

/** The Q-network: an MLP stateSize → hidden… → actions (one Q-value per action, no output activation). */
export function qNetwork(o: ResolvedDQNOptions, rng: Random): MLP {
  return new MLP([o.stateSize, ...o.hidden, o.actions], { activation: o.activation, rng })
}

/** The options that shape the agent, as saved files record them (functions are not saved). */
export function savedOptions(o: ResolvedDQNOptions): Record<string, number | string | number[]> {
  return {
    stateSize: o.stateSize,
    actions: o.actions,
    hidden: o.hidden.slice(),
    activation: o.activation,
    gamma: o.gamma,
    batchSize: o.batchSize,
    replaySize: o.replaySize,
    learnStart: o.learnStart,
    trainEvery: o.trainEvery,
    targetUpdate: o.targetUpdate,
    huberDelta: o.huberDelta,
    seed: o.seed,
  }
}
