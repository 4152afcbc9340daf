// Workload A of the peer benchmark (one Adam step on N float32 parameters with a given gradient),
// for bench/contenders/tapegrad.mjs. Imports the built library (npx tsc -p tsconfig.build.json).
//
// Variants:
// - 'attach().step()': PyTorch style. The parameter tensor is attached to adam(); its `.grad`
//   is then a view of the optimizer's flat gradient buffer (the harness' gradient is written
//   there once, as backward() would accumulate into it), so a step is one fused pass over
//   x, g, m, v with nothing copied.
// - 'attach().step(), JS loop': the same with the WebAssembly SIMD tier of the CPU backend
//   switched off, i.e. the generated fused JavaScript loop alone (compare with plain-js'
//   hand-fused loop: the cost of the generic rule machinery).
// - 'update(i, grads, state)': JAX style. The gradient tensor is the caller's own array; every
//   update copies it into the optimizer's flat gradient buffer (a native memcpy) before the pass.
import { Tensor } from '../../dist/src/index.js';
import { adam } from '../../dist/optimizers/index.js';
import { setSimdEnabled } from '../../dist/src/backends/cpu.js';

const read = (state) => ({ x: state.params.slice(), m: state.slots.m.slice(), v: state.slots.v.slice() });

function attached({ n, x, g, lr, beta1, beta2, eps }) {
  const p = new Tensor(x, [n]);
  const train = adam(lr, beta1, beta2, eps).attach(p);
  p.grad.data.set(g);
  return {
    step() {
      train.step();
    },
    read() {
      return read(train.state);
    },
    stats() {
      return { stateArrays: Object.keys(train.state.arrays).length };
    },
  };
}

export const workload = {
  'attach().step()': {
    create(spec) {
      setSimdEnabled(true);
      return attached(spec);
    },
  },
  'attach().step(), JS loop': {
    create(spec) {
      setSimdEnabled(false);
      return attached(spec);
    },
  },
  'update(i, grads, state)': {
    create({ n, x, g, lr, beta1, beta2, eps }) {
      setSimdEnabled(true);
      const opt = adam(lr, beta1, beta2, eps);
      let state = opt.init(new Tensor(x, [n]));
      const grads = new Tensor(g, [n]);
      let i = 0;
      return {
        step() {
          state = opt.update(i++, grads, state);
        },
        read() {
          return read(state);
        },
        stats() {
          return { stateArrays: Object.keys(state.arrays).length };
        },
      };
    },
  },
};
