/** Every op, as plain functions (the Tensor methods call these). */
export * from './elementwise.js'
export * from './trig.js'
export * from './activations.js'
export * from './reduce.js'
export * from './linalg.js'
export * from './shape.js'
export * from './indexing.js'
export * from './composite.js'
