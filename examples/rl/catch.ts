/**
 * Catch: a ball falls from the top of a unit square, drifting sideways and bouncing off the side
 * walls; a paddle at the bottom moves left, stays or moves right. The episode ends when the ball
 * reaches the bottom: reward +1 if the paddle is under it, −1 if not (0 on every other step).
 * The game the browser page (examples/web/catch.html) and the tests teach a DQN.
 *
 * State (4 numbers, all of order 1): ball x, ball y, ball's sideways speed (scaled), paddle x.
 * A random policy catches about one ball in four (mean reward ≈ −0.5); a good one nearly all.
 */
import { Random } from '../../src/index.js'

/** Steps a ball takes to fall. */
export const FALL_STEPS = 20
/** Half the paddle's width, and the ball's radius. */
export const PADDLE_HALF = 0.1
export const BALL_RADIUS = 0.03
const PADDLE_SPEED = 0.06
const DRIFT = 0.02 // largest sideways speed per step
const DRIFT_SCALE = 1 / DRIFT

/** What a step returns. */
export interface Step {
  state: Float32Array
  reward: number
  done: boolean
}

/**
 * The game, seeded.
 * @example
 * const game = new Catch(1)
 * let state = game.reset()
 * const { reward, done } = game.step(2)   // move right
 */
export class Catch {
  static readonly stateSize = 4
  static readonly actions = 3
  ballX = 0.5
  ballY = 0
  ballVx = 0
  paddleX = 0.5
  private t = 0
  private readonly rng: Random

  constructor(seed = 0) {
    this.rng = new Random(seed)
  }

  /** A new ball at the top; the paddle stays where it was. */
  reset(): Float32Array {
    this.ballX = this.rng.uniform(0.05, 0.95)
    this.ballY = 0
    this.ballVx = this.rng.uniform(-DRIFT, DRIFT)
    this.t = 0
    return this.state()
  }

  state(): Float32Array {
    return Float32Array.of(this.ballX, this.ballY, this.ballVx * DRIFT_SCALE, this.paddleX)
  }

  /** Action 0: left, 1: stay, 2: right. */
  step(action: number): Step {
    if (action !== 0 && action !== 1 && action !== 2)
      throw new Error(`Catch.step: action must be 0, 1 or 2, got ${action}`)
    this.paddleX = Math.min(1 - PADDLE_HALF, Math.max(PADDLE_HALF, this.paddleX + (action - 1) * PADDLE_SPEED))
    this.ballX += this.ballVx
    if (this.ballX < 0 || this.ballX > 1) {
      this.ballVx = -this.ballVx
      this.ballX = this.ballX < 0 ? -this.ballX : 2 - this.ballX
    }
    this.t++
    this.ballY = this.t / FALL_STEPS
    const done = this.t >= FALL_STEPS
    const reward = done ? (Math.abs(this.ballX - this.paddleX) <= PADDLE_HALF + BALL_RADIUS ? 1 : -1) : 0
    return { state: this.state(), reward, done }
  }
}
