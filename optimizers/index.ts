/**
 * tapegrad/optimizers — the optimizers (JAX's nine plus AdamW, NAdam, RAdam, Adadelta, Lion),
 * the lifter that makes one out of ~20 lines of rules, step-size schedules, gradient clipping
 * and state I/O. See docs/optimizers.md.
 */
// Tensors made with this entry point alone get their fluent methods too (see src/methods.ts).
import '../src/methods.js'

export { optimizer, rule, OptState, checkRange, checkNonNegative, checkStepSize, readOptions } from './optimizer.js'
export type { Optimizer, OptimizerFactory, OptimizerSpec, Trainer, HyperValue, LeafInfo, HookContext, ExtraSpec, Rule, RuleFn } from './optimizer.js'
export { firstMoment, secondMoment, runningMax, descend, heavyBall, nesterovStep } from './rules.js'

export { sgd } from './sgd.js'
export { momentum } from './momentum.js'
export { nesterov } from './nesterov.js'
export { adagrad } from './adagrad.js'
export { rmsprop } from './rmsprop.js'
export { rmspropMomentum } from './rmspropMomentum.js'
export { adam, adamStep } from './adam.js'
export { adamax } from './adamax.js'
export { sm3 } from './sm3.js'
export { adamw } from './adamw.js'
export { nadam } from './nadam.js'
export { radam } from './radam.js'
export { adadelta } from './adadelta.js'
export { lion } from './lion.js'

export { saveState, loadState, STATE_FORMAT, STATE_VERSION, type SavedState, type SavedHyper } from './state-io.js'

export {
  makeSchedule, constant, exponentialDecay, inverseTimeDecay, polynomialDecay, piecewiseConstant,
  linearWarmup, cosineDecay, warmupCosineDecay, oneCycle, stepDecay,
  type Schedule, type ScheduleLike,
} from './schedules.js'
export { l2Norm, clipGradNorm, clipGradValue, gradsOf, type ClipGradNormOptions } from './clip.js'
