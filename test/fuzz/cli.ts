/**
 * The fuzz table from the command line, for a longer or narrower run than the suite's:
 *
 *     FUZZ_RUNS=5000 npx tsx test/fuzz/cli.ts            # every row, 5000 cases each
 *     npx tsx test/fuzz/cli.ts div maximum               # only these rows
 *     FUZZ_SEED=7 npx tsx test/fuzz/cli.ts sum           # another seed
 */
import { allRows } from './rows/index.js'
import { runRow, settings } from './run.js'

/** Runs the named rows (all by default), printing one line per row. */
function main(): void {
  const { runs, seed } = settings()
  const wanted = process.argv.slice(2)
  const rows = wanted.length > 0 ? allRows.filter((r) => wanted.includes(r.op)) : allRows
  let failed = 0
  for (const row of rows) {
    const r = runRow(row, runs, seed)
    const line = `${r.op.padEnd(30)} ${String(r.runs).padStart(6)} cases  ${String(r.values).padStart(6)} values  ${String(r.errors).padStart(6)} errors  ${String(r.grads).padStart(6)} backward  ${r.ms} ms`
    console.log(line)
    if (r.failure) {
      failed++
      console.log(`  FAILED: ${r.failure.replace(/\n/g, '\n  ')}`)
    }
  }
  if (failed > 0) process.exitCode = 1
}

main()
