/**
 * `startDQN`: a DQN agent whose learner runs through `startTraining` — in a worker when given
 * one — while acting stays on this thread, so that the game's frames do not wait for gradient
 * steps. The two calls are the same as `DQN`'s: `act(state)` (ε-greedy on `trainer.model`, which
 * follows the worker's newest weights) and `learn(reward, nextState, done)` (queues the
 * transition; queued transitions go to the learner in chunks, as the bounded queue has room).
 *
 * The learner sees the same transitions in the same order as a `DQN`'s would, so it takes the
 * same gradient steps. Acting reads the weights that have arrived, which lag by the transitions
 * still in flight; `await agent.sync()` waits until none are, and after a `sync()` following
 * every `learn` the agent acts exactly as a `DQN` with the same options does.
 */
import type { MLP } from '../nn/mlp.js'
import { startTraining } from '../worker/start-training.js'
import type { StartTrainingOptions, Trainer } from '../worker/trainer.js'
import { SAVED_FORMAT, SAVED_VERSION } from '../worker/training-spec.js'
import { Actor } from './actor.js'
import type { SavedDQNLearner, Transition } from './dqn-learner.js'
import type { DQNTrainingSpec } from './dqn-training.js'
import { resolveDQNOptions, savedOptions, type ResolvedDQNOptions } from './dqn-options.js'
import { checkSavedDQN, DQN_FORMAT, DQN_VERSION, type SavedDQN } from './saved-dqn.js'

/** Options of `startDQN`: those of `startTraining`, and how far learning may fall behind. */
export interface StartDQNOptions extends StartTrainingOptions {
  /** Transitions that may wait for the learner before `learn` throws (default 100,000). */
  readonly maxBacklog?: number
}

/** The agent `startDQN` returns. */
export interface WorkerDQN {
  readonly options: ResolvedDQNOptions
  /** The trainer underneath (its `model` is the online network as last received). */
  readonly trainer: Trainer<MLP>
  /** The online Q-network acting reads. */
  readonly net: MLP
  act(state: ArrayLike<number>): number
  /** Queues the transition for the learner; throws if `maxBacklog` transitions already wait. */
  learn(reward: number, nextState: ArrayLike<number>, done: boolean): void
  /** Resolves once the learner has every transition so far and `net` holds the weights after them. */
  sync(): Promise<void>
  qValues(state: ArrayLike<number>): Float32Array
  readonly epsilon: number
  readonly steps: number
  readonly episodes: number
  /** Transitions not yet handed to the learner. */
  readonly backlog: number
  /** The loss of the learner's last chunk that took a gradient step (null before). */
  readonly lastLoss: number | null
  /** The whole agent, in the same format as `DQN.save()` (after a sync). */
  save(): Promise<SavedDQN>
  /** Restores a saved agent (from either kind); resolves once `net` holds its weights. */
  load(saved: SavedDQN | string): Promise<void>
  terminate(): Promise<void>
}

/**
 * Starts a DQN agent on `spec` (made with `dqnTraining`, in the module the worker runs).
 * @example
 * import { defineTraining } from 'tapegrad/worker'
 * import { dqnTraining, startDQN } from 'tapegrad/rl'
 *
 * // In an app the spec is the default export of the worker's module (see dqnTraining), and
 * // `startDQN(spec, { worker: new URL('./catch-agent.js', import.meta.url) })` learns in a worker
 * // that runs it. Without `worker`, as here, the same learner runs on this thread.
 * const spec = defineTraining(dqnTraining({ stateSize: 2, actions: 2, hidden: [16], seed: 1 }))
 * const agent = await startDQN(spec)
 * const action = agent.act([0, 1])   // each frame, on the main thread
 * agent.learn(1, [1, 0], true)       // the transition goes to the learner
 * await agent.sync()
 * agent.steps                        // 1
 * await agent.terminate()
 */
export async function startDQN(spec: DQNTrainingSpec, options: StartDQNOptions = {}): Promise<WorkerDQN> {
  const o = resolveDQNOptions('startDQN', spec && spec.dqn)
  const { maxBacklog = 100_000, onStep, ...trainingOptions } = options
  if (!Number.isInteger(maxBacklog) || maxBacklog < 1)
    throw new Error(`startDQN: maxBacklog must be a positive integer, got ${maxBacklog}`)
  const who = `startDQN '${o.name}'`
  const S = o.stateSize
  const actor = new Actor(o)
  let pending: Transition[] = []
  let lastLoss: number | null = null

  /**
   * Sends the queued transitions as one chunk if the queue has room. (With room, `train` posts
   * before it returns, so nothing else is in flight from here.)
   */
  const send = () => {
    if (pending.length === 0 || !trainer.canTrain) return
    const chunk = pending
    pending = []
    const n = chunk.length
    const states = new Float32Array(n * S)
    const nextStates = new Float32Array(n * S)
    const actions = new Float32Array(n)
    const rewards = new Float32Array(n)
    const dones = new Float32Array(n)
    chunk.forEach((t, i) => {
      states.set(t.state, i * S)
      nextStates.set(t.nextState, i * S)
      actions[i] = t.action
      rewards[i] = t.reward
      dones[i] = t.done ? 1 : 0
    })
    trainer
      .train({
        states: { data: states, shape: [n, S] },
        actions,
        rewards,
        nextStates: { data: nextStates, shape: [n, S] },
        dones,
      })
      .catch(() => {}) // the trainer keeps the error: the next act, learn or sync reports it
  }

  const trainer = await startTraining(spec, {
    ...trainingOptions,
    onStep: (info) => {
      if (info.loss !== null) lastLoss = info.loss
      onStep?.(info)
      send()
    },
  })

  const agent: WorkerDQN = {
    options: o,
    trainer,
    net: trainer.model,
    act(state) {
      if (trainer.error) throw trainer.error
      return actor.act(`${who}: act`, trainer.model, state)
    },
    learn(reward, nextState, done) {
      if (trainer.error) throw trainer.error
      if (pending.length >= maxBacklog) {
        throw new Error(
          `${who}: learn: ${pending.length} transitions already wait for the learner (maxBacklog ${maxBacklog}); await agent.sync() now and then, or act less often`,
        )
      }
      pending.push(actor.complete(`${who}: learn`, reward, nextState, done))
      send()
    },
    async sync() {
      while (pending.length > 0) {
        if (trainer.canTrain) send()
        else await trainer.flush() // steps finish meanwhile, and onStep sends what waits
      }
      await trainer.flush()
    },
    qValues(state) {
      return actor.qValues(`${who}: qValues`, trainer.model, state)
    },
    get epsilon() {
      return actor.epsilon
    },
    get steps() {
      return actor.steps
    },
    get episodes() {
      return actor.episodes
    },
    get backlog() {
      return pending.length
    },
    get lastLoss() {
      return lastLoss
    },
    async save() {
      await agent.sync()
      const saved = await trainer.save()
      return {
        format: DQN_FORMAT,
        version: DQN_VERSION,
        options: savedOptions(o),
        actor: actor.save(),
        learner: saved.learner as SavedDQNLearner,
      }
    },
    async load(saved) {
      const s = checkSavedDQN(`${who}: load`, saved, o)
      const writeActor = actor.prepareLoad(`${who}: load`, s.actor)
      await agent.sync()
      await trainer.load({ format: SAVED_FORMAT, version: SAVED_VERSION, name: o.name, step: 0, learner: s.learner })
      writeActor()
      lastLoss = null
    },
    terminate: () => trainer.terminate(),
  }
  return agent
}
