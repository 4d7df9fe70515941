/**
 * The last `capacity` inter-arrival intervals with their running sum and sum of squares (Akka's HeartbeatHistory,
 * Cassandra's ArrivalWindow), so mean and variance are O(1).
 */
export class ArrivalWindow {
  private readonly intervals: Float64Array;
  private start = 0;
  private count = 0;
  private sum = 0;
  private squaredSum = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`arrival window capacity must be an integer >= 1 (got ${capacity})`);
    this.intervals = new Float64Array(capacity);
  }

  add(intervalMs: number): void {
    if (this.count === this.capacity) {
      const oldest = this.intervals[this.start];
      this.sum -= oldest;
      this.squaredSum -= oldest * oldest;
      this.intervals[this.start] = intervalMs;
      this.start = (this.start + 1) % this.capacity;
    } else {
      this.intervals[(this.start + this.count) % this.capacity] = intervalMs;
      this.count++;
    }
    this.sum += intervalMs;
    this.squaredSum += intervalMs * intervalMs;
  }

  get size(): number {
    return this.count;
  }

  mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  variance(): number {
    if (this.count === 0) return 0;
    const m = this.mean();
    // Guard the tiny negative values floating point can leave after many subtractions.
    return Math.max(0, this.squaredSum / this.count - m * m);
  }

  stdDeviation(): number {
    return Math.sqrt(this.variance());
  }
}
