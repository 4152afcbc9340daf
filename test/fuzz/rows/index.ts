/** Every fuzz row, one file per family of ops. */
import type { FuzzRow } from '../types.js'
import { rows as elementwise } from './elementwise.js'
import { rows as indexing } from './indexing.js'
import { rows as layout } from './layout.js'
import { rows as losses } from './losses.js'
import { rows as more } from './more.js'
import { rows as reductions } from './reductions.js'
import { rows as windows } from './windows.js'

export const allRows: FuzzRow[] = [
  ...elementwise,
  ...reductions,
  ...layout,
  ...more,
  ...indexing,
  ...losses,
  ...windows,
]
