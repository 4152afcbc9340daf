/**
 * tapegrad — a small tape-based autodiff library: reverse mode (`backward`, `grad`) and forward
 * mode (`jvp`) on one engine, composable to any order.
 * This file is the whole public surface: re-exports only (plus the fluent methods, installed by
 * importing src/methods.ts).
 */
import './methods.js'

export {
  Tensor,
  tensor,
  zeros,
  ones,
  full,
  zerosLike,
  onesLike,
  arange,
  linspace,
  eye,
  rand,
  randn,
  asTensor,
  type TensorLike,
  type NestedArray,
  type TensorOptions,
  type TensorInputOptions,
} from './tensor.js'
export type { DType, FloatDType, TypedArray, FloatArray } from './nd.js'
export { seed, Random, defaultRandom } from './random.js'
export { noGrad, setDebug, type DebugOptions } from './recording.js'
export { backward, zeroGrad, type BackwardOptions } from './tape.js'
export { grad, valueAndGrad, vjp } from './grad.js'
export { jvp } from './jvp.js'
export { jacfwd, jacrev, hessian, hvp } from './jacobian.js'
export { tapeOf, Tape, type TapeEntry, type BackwardStep, type BackwardSteps } from './tape-view.js'
export { defineOp, mapTensor, zipTensors, type Op, type OpDef } from './op.js'
export { erf } from './math.js'
export { gradcheck, gradgradcheck, type GradcheckOptions, type GradcheckReport } from './gradcheck.js'
// Trees: renamed on export so that `flatten` is the shape op (x.flatten()).
export {
  flatten as flattenTree,
  unflatten as unflattenTree,
  mapTree,
  describeTree,
  type Tree,
  type TreeDef,
} from './tree.js'
export * from './ops/index.js'
export {
  setBackend,
  getBackend,
  getActiveBackend,
  type BackendChoice,
  type BackendInfo,
  type SetBackendOptions,
} from './backends/index.js'
export type { Backend, Rule, RuleFn } from './backends/backend.js'
export * as nn from './nn/index.js'
export { toDot, toSvg, type DotOptions } from './viz/index.js'
export { saveSafetensors, loadSafetensors, SAFETENSORS_MAX_HEADER, type SafetensorsContents } from './io/safetensors.js'
