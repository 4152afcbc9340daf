/**
 * tapegrad/optimizers — the optimizers (JAX's nine plus AdamW, NAdam, RAdam, Adadelta, Lion),
 * the lifter that makes one out of its math and defaults, step-size schedules, gradient clipping
 * and state I/O. See docs/optimizers.md.
 */
// Tensors made with this entry point alone get their fluent methods too (see src/methods.ts).
import '../src/methods.js'

export { optimizer, rule, OptState } from './optimizer.js'
export type {
  Optimizer,
  OptimizerCore,
  OptimizerFactory,
  OptimizerSpec,
  Declarations,
  Trainer,
  HyperValue,
  LeafInfo,
  StateLayout,
  HookContext,
  ExtraSpec,
  Rule,
  RuleFn,
  Options,
} from './optimizer.js'
export {
  HYPER_PARAMETERS,
  interval,
  nonNegative,
  fraction,
  flag,
  stepSizeOrSchedule,
  type Constraint,
} from './hyper-parameters.js'
export {
  movingAverage,
  movingAverageOfSquare,
  runningMax,
  addSquare,
  descend,
  accumulateVelocity,
  nesterovStep,
} from './rules.js'

export { sgd } from './sgd.js'
export { momentum } from './momentum.js'
export { nesterov } from './nesterov.js'
export { adagrad } from './adagrad.js'
export { rmsprop } from './rmsprop.js'
export { rmspropMomentum } from './rmspropMomentum.js'
export { adam } from './adam.js'
export { adamax } from './adamax.js'
export { sm3 } from './sm3.js'
export { adamw } from './adamw.js'
export { nadam } from './nadam.js'
export { radam } from './radam.js'
export { adadelta } from './adadelta.js'
export { lion } from './lion.js'

export { saveState, loadState, STATE_FORMAT, STATE_VERSION, type SavedState, type SavedHyper } from './state-io.js'

export {
  makeSchedule,
  constant,
  exponentialDecay,
  inverseTimeDecay,
  polynomialDecay,
  piecewiseConstant,
  linearWarmup,
  cosineDecay,
  warmupCosineDecay,
  oneCycle,
  stepDecay,
  type Schedule,
  type ScheduleLike,
} from './schedules.js'
export { l2Norm, clipGradNorm, clipGradValue, gradsOf, type ClipGradNormOptions } from './clip.js'
export { saveStateSafetensors, loadStateSafetensors } from './state-safetensors.js'
