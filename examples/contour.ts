/**
 * Contour lines of a 2-D function as SVG path data, by marching squares — the picture under the
 * optimizer-zoo and Newton examples, written by hand so that no plotting dependency is needed.
 */

/** The rectangle of the plane that is drawn, and the picture's size in pixels (square). */
export interface View {
  x0: number
  x1: number
  y0: number
  y1: number
  size: number
}

/** Pixel coordinates of a point of the plane (y grows upward in the plane, downward in SVG). */
export function toPixels(view: View, x: number, y: number): [number, number] {
  return [
    ((x - view.x0) / (view.x1 - view.x0)) * view.size,
    view.size - ((y - view.y0) / (view.y1 - view.y0)) * view.size,
  ]
}

/** A number for SVG, rounded to 0.1 px. */
export function num(v: number): string {
  return (Math.round(v * 10) / 10).toString()
}

/** SVG path data of f = level on an n×n grid of `view` (one segment per pair of edge crossings). */
export function contour(f: (x: number, y: number) => number, view: View, level: number, n: number): string {
  const xs = Array.from({ length: n + 1 }, (_, i) => view.x0 + ((view.x1 - view.x0) * i) / n)
  const ys = Array.from({ length: n + 1 }, (_, j) => view.y0 + ((view.y1 - view.y0) * j) / n)
  const v = xs.map((x) => ys.map((y) => f(x, y) - level))
  const parts: string[] = []
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      // corners counter-clockwise: (i,j) (i+1,j) (i+1,j+1) (i,j+1)
      const c: [number, number, number][] = [
        [xs[i], ys[j], v[i][j]],
        [xs[i + 1], ys[j], v[i + 1][j]],
        [xs[i + 1], ys[j + 1], v[i + 1][j + 1]],
        [xs[i], ys[j + 1], v[i][j + 1]],
      ]
      const hits: [number, number][] = []
      for (let e = 0; e < 4; e++) {
        const [ax, ay, av] = c[e]
        const [bx, by, bv] = c[(e + 1) % 4]
        if (av < 0 !== bv < 0) {
          const t = av / (av - bv)
          hits.push(toPixels(view, ax + t * (bx - ax), ay + t * (by - ay)))
        }
      }
      for (let h = 0; h + 1 < hits.length; h += 2) {
        parts.push(`M${num(hits[h][0])} ${num(hits[h][1])}L${num(hits[h + 1][0])} ${num(hits[h + 1][1])}`)
      }
    }
  }
  return parts.join('')
}
