/**
 * tapegrad — a small tape-based reverse-mode autodiff library.
 * This file is the whole public surface: re-exports only.
 */
export {
  Tensor, tensor, zeros, ones, full, zerosLike, onesLike, arange, linspace, eye, rand, randn, asTensor,
  type TensorLike, type NestedArray, type TensorOptions, type TensorInputOptions,
} from './tensor.js'
export type { DType, TypedArray } from './nd.js'
export { seed, Random, defaultRandom } from './random.js'
export { backward, grad, valueAndGrad, noGrad, zeroGrad, setDebug, tapeOf, freshGradient, Tape, Entry, type BackwardOptions } from './tape.js'
export { defineOp, mapTensor, zipTensors, type Op, type OpDef } from './op.js'
export { erf } from './math.js'
export { gradcheck, type GradcheckOptions, type GradcheckReport } from './gradcheck.js'
// Trees: renamed on export so that `flatten` is the shape op (x.flatten()).
export { flatten as flattenTree, unflatten as unflattenTree, mapTree, describeTree, type Tree, type TreeDef } from './tree.js'
export * from './ops/index.js'
export { setBackend, getBackend, getActiveBackend, type BackendChoice, type BackendInfo, type SetBackendOptions } from './backends/index.js'
export type { Backend, Rule, RuleFn } from './backends/backend.js'
export * as nn from './nn/index.js'
export { toDot, toSvg, type DotOptions } from './viz/index.js'
