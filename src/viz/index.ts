/** Seeing the graph: `toDot` (Graphviz text) and `toSvg` (rendered, loads Graphviz lazily). */
export { toDot, type DotOptions } from './to-dot.js'
export { toSvg } from './to-svg.js'
