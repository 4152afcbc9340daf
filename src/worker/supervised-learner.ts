/**
 * The learner of a supervised training spec: one optimizer step per batch.
 */
import { loadState, saveState, type SavedState } from '../../optimizers/state-io.js'
import { describeValue } from '../describe-value.js'
import { fmt } from '../nd.js'
import type { Module } from '../nn/module.js'
import { backward } from '../tape.js'
import { Tensor } from '../tensor.js'
import { specName, type Learner, type TrainingSpec } from './training-spec.js'

/**
 * The learner of a supervised spec: each batch is one optimizer step on `loss(model, batch)`.
 * Its saved state is the optimizer's (`saveState`), which holds the weights too.
 */
export function supervisedLearner<M extends Module>(spec: TrainingSpec<M>, model: M): Learner {
  const who = `training '${specName(spec)}'`
  const opt = spec.optimizer!()
  if (!opt || typeof opt.attach !== 'function')
    throw new Error(`${who}: optimizer() must return an optimizer (e.g. adam(1e-3)), got ${describeValue(opt)}`)
  const train = opt.attach(model.parameters())
  return {
    learn(batch) {
      const loss = spec.loss!(model, batch)
      if (!(loss instanceof Tensor) || loss.size !== 1) {
        throw new Error(
          `${who}: loss(model, batch) must return a one-element Tensor, got ${loss instanceof Tensor ? `shape ${fmt(loss.shape)}` : describeValue(loss)}`,
        )
      }
      train.zeroGrad()
      backward(loss)
      train.step()
      return loss.item()
    },
    save() {
      return { optimizer: saveState(train.state, opt) }
    },
    load(saved) {
      const s = saved as { optimizer?: SavedState } | null
      if (s === null || typeof s !== 'object' || !s.optimizer)
        throw new Error(`${who}: load: expected { optimizer: saved optimizer state }, got ${describeValue(saved)}`)
      loadState(s.optimizer, opt, train.state) // in place: the attached tensors see the loaded values
    },
  }
}
