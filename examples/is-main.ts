/**
 * Whether an example file is the program being run (`tsx examples/moons.ts`), so that importing
 * it from a test does not start it. `import.meta.url` would be the ESM way, but the tests load
 * examples through ts-jest as CommonJS, where `import.meta` is a syntax error.
 */
export function isMain(file: string): boolean {
  const arg = (process.argv[1] ?? '').replace(/\\/g, '/').replace(/\.[cm]?[jt]s$/, '')
  return arg.endsWith(`examples/${file}`) || arg === file
}
