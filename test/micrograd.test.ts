import { main } from '../examples/micrograd.js'

test("examples/micrograd.ts reproduces micrograd's published numbers", () => {
  const { g, dgda, dgdb } = main()
  expect(g.toFixed(4)).toBe('24.7041')
  expect(dgda.toFixed(4)).toBe('138.8338')
  expect(dgdb.toFixed(4)).toBe('645.5773')
})
