/**
 * The training spec: what a trainer needs to know to train a model — the model factory, and
 * either an optimizer and a loss or a learner of one's own. It is written once, in a module that
 * both threads import (see define-training.ts).
 */
import type { Optimizer } from '../../optimizers/optimizer.js'
import { describeValue } from '../describe-value.js'
import type { Module } from '../nn/module.js'
import type { Random } from '../random.js'
import type { Tensor } from '../tensor.js'

/**
 * What trains the model, one batch at a time. The supervised spec (optimizer + loss) makes one;
 * a reinforcement learner (dqnTraining in tapegrad/rl) brings its own, with a replay buffer and a target
 * network, and takes its optimizer steps inside `learn`.
 */
export interface Learner {
  /** Learns from one batch; returns the loss of the step(s) taken, or null when none was taken. */
  learn(batch: Record<string, Tensor>): number | null
  /** Everything needed to continue exactly: weights, optimizer state, counters… (structured-clonable). */
  save(): unknown
  /** Restores what `save` returned; checks it first and changes nothing when it does not fit. */
  load(saved: unknown): void
}

/**
 * A training spec. Give `model` and either `optimizer` + `loss` (one optimizer step per batch:
 * zero the gradients, loss.backward(), step) or `learner`.
 */
export interface TrainingSpec<M extends Module = Module> {
  /** Names the spec in errors, and picks it when one worker module defines several. */
  readonly name?: string
  /**
   * The seed (default 0). The model's initial weights are drawn from `new Random(seed)` on both
   * threads, and the trainer calls `seed(seed)` before building the learner, so that a run is
   * repeatable and the same in a worker and on the main thread.
   */
  readonly seed?: number
  /** Builds the model; draw initial weights from `rng` (e.g. `new nn.MLP(sizes, { rng })`). */
  model(rng: Random): M
  /** The optimizer, made fresh in the thread that trains (e.g. `() => adam(1e-3)`). */
  optimizer?(): Optimizer
  /** The loss of one batch: a one-element tensor. */
  loss?(model: M, batch: Record<string, Tensor>): Tensor
  /** A learner of one's own, instead of `optimizer` + `loss`. */
  learner?(model: M): Learner
}

/** Throws, naming the field, unless `spec` is a usable training spec. */
export function checkSpec(spec: unknown): asserts spec is TrainingSpec {
  const who = `defineTraining`
  if (spec === null || typeof spec !== 'object')
    throw new Error(
      `${who}: expected a spec object { model, optimizer, loss } or { model, learner }, got ${describeValue(spec)}`,
    )
  const s = spec as Record<string, unknown>
  const name = s.name === undefined ? '' : ` '${String(s.name)}'`
  if (s.name !== undefined && (typeof s.name !== 'string' || !s.name))
    throw new Error(`${who}: name must be a non-empty string, got ${describeValue(s.name)}`)
  if (s.seed !== undefined && (typeof s.seed !== 'number' || !Number.isFinite(s.seed)))
    throw new Error(`${who}${name}: seed must be a finite number, got ${describeValue(s.seed)}`)
  if (typeof s.model !== 'function')
    throw new Error(`${who}${name}: model must be a function (rng) => Module, got ${describeValue(s.model)}`)
  const supervised = s.optimizer !== undefined || s.loss !== undefined
  if (s.learner !== undefined && supervised)
    throw new Error(`${who}${name}: give either learner, or optimizer and loss, not both`)
  if (s.learner !== undefined) {
    if (typeof s.learner !== 'function')
      throw new Error(`${who}${name}: learner must be a function (model) => Learner, got ${describeValue(s.learner)}`)
  } else {
    if (typeof s.optimizer !== 'function')
      throw new Error(
        `${who}${name}: optimizer must be a function () => Optimizer (e.g. () => adam(1e-3)), got ${describeValue(s.optimizer)}`,
      )
    if (typeof s.loss !== 'function')
      throw new Error(`${who}${name}: loss must be a function (model, batch) => Tensor, got ${describeValue(s.loss)}`)
  }
}

/** The spec's name as errors show it: `'mnist'`, or `(unnamed)`. */
export function specName(spec: TrainingSpec<any>): string {
  return spec.name ?? '(unnamed)'
}

/** The `format` of a saved training. */
export const SAVED_FORMAT = 'tapegrad.training'
/** The version this code writes and reads. */
export const SAVED_VERSION = 1

/** What `trainer.save()` returns: the learner's state and the step count (structured-clonable). */
export interface SavedTraining {
  readonly format: typeof SAVED_FORMAT
  readonly version: number
  /** The spec's name ('(unnamed)' without one): loading checks it. */
  readonly name: string
  /** Steps taken when it was saved. */
  readonly step: number
  /** What the learner's `save()` returned. */
  readonly learner: unknown
}

/** Checks that `saved` is a saved training of the spec `name`; returns it. */
export function checkSaved(who: string, saved: unknown, name: string): SavedTraining {
  const s = saved as Partial<SavedTraining> | null
  if (s === null || typeof s !== 'object' || s.format !== SAVED_FORMAT) {
    throw new Error(
      `${who}: expected what trainer.save() returned (format '${SAVED_FORMAT}'), got ${s && typeof s === 'object' ? `format ${JSON.stringify(s.format)}` : describeValue(saved)}`,
    )
  }
  if (s.version !== SAVED_VERSION)
    throw new Error(`${who}: saved with version ${JSON.stringify(s.version)}, this code reads version ${SAVED_VERSION}`)
  if (s.name !== name) throw new Error(`${who}: saved by the training spec '${String(s.name)}', not '${name}'`)
  if (!Number.isInteger(s.step) || (s.step as number) < 0)
    throw new Error(`${who}: step must be a non-negative integer, got ${describeValue(s.step)}`)
  return s as SavedTraining
}
