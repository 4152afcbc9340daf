// Workload F's text: a seeded synthetic corpus over a 30-character alphabet, and the batches cut
// from it. Synthetic (not real prose) so that the benchmark needs no data download and every
// contender sees exactly the same characters; the LSTM's speed does not depend on what the text
// says. It still looks like text, so a learning curve is meaningful: words are drawn from a fixed
// seeded lexicon of pronounceable pseudo-words with Zipf-like frequencies, and sentences end with
// '.', contain ',' and are grouped into lines.
import { mulberry32 } from './common.mjs';

/** The 30 characters; a character's id is its index here. */
export const ALPHABET = 'abcdefghijklmnopqrstuvwxyz .,\n';

const CONSONANTS = 'bcdfghjklmnpqrstvwxz';
const VOWELS = 'aeiouy';

/** `length` characters of seeded pseudo-English; deterministic for a given (length, seed). */
export function syntheticText(length, seed) {
  const r = mulberry32(seed);
  const pick = (s) => s[Math.floor(r() * s.length)];
  const lexicon = [];
  for (let w = 0; w < 400; w++) {
    let word = '';
    const syllables = 1 + Math.floor(r() * 3);
    for (let s = 0; s < syllables; s++) {
      word += (r() < 0.8 ? pick(CONSONANTS) : '') + pick(VOWELS) + (r() < 0.3 ? pick(CONSONANTS) : '');
    }
    lexicon.push(word);
  }
  // Zipf-like: word k is drawn with weight 1/(k+1)
  const cum = [];
  let total = 0;
  for (let k = 0; k < lexicon.length; k++) cum.push((total += 1 / (k + 1)));
  const word = () => {
    const u = r() * total;
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lexicon[lo];
  };
  let out = '';
  let sentencesOnLine = 0;
  while (out.length < length) {
    const words = 3 + Math.floor(r() * 10);
    let sentence = '';
    for (let w = 0; w < words; w++) sentence += (w ? (r() < 0.1 ? ', ' : ' ') : '') + word();
    out += sentence + '.';
    sentencesOnLine++;
    if (sentencesOnLine >= 2 + Math.floor(r() * 4)) {
      out += '\n';
      sentencesOnLine = 0;
    } else out += ' ';
  }
  return out.slice(0, length);
}

/** The corpus as ids (Int32Array), checking that every character is in ALPHABET. */
export function encode(text) {
  const ids = new Int32Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const id = ALPHABET.indexOf(text[i]);
    if (id < 0) throw new Error(`corpus: character ${JSON.stringify(text[i])} at ${i} is not in the alphabet`);
    ids[i] = id;
  }
  return ids;
}

/**
 * `count` batches of `batchSize` windows of `seqLen + 1` characters at seeded random offsets:
 * inputs[b·T + t] = ids[off_b + t], targets[b·T + t] = ids[off_b + t + 1] (the next character), and
 * text[b] = the window as a string (T + 1 characters), for libraries that take strings.
 */
export function makeBatches(ids, { seqLen: T, batchSize: B }, count, seed) {
  const r = mulberry32(seed);
  const batches = [];
  for (let k = 0; k < count; k++) {
    const inputs = new Int32Array(B * T);
    const targets = new Int32Array(B * T);
    const text = [];
    for (let b = 0; b < B; b++) {
      const off = Math.floor(r() * (ids.length - T - 1));
      for (let t = 0; t < T; t++) {
        inputs[b * T + t] = ids[off + t];
        targets[b * T + t] = ids[off + t + 1];
      }
      let s = '';
      for (let t = 0; t <= T; t++) s += ALPHABET[ids[off + t]];
      text.push(s);
    }
    batches.push({ inputs, targets, text });
  }
  return batches;
}
