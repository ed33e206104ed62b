/** Cumulative-bucket histogram in the Prometheus sense; bounds in seconds. */
export class LatencyHistogram {
  static readonly BOUNDS_SECONDS = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
  ] as const;
  private readonly counts = new Array<number>(LatencyHistogram.BOUNDS_SECONDS.length).fill(0);
  private total = 0;
  private sum = 0;

  observe(seconds: number): void {
    const value = Math.max(0, seconds);
    this.total++;
    this.sum += value;
    LatencyHistogram.BOUNDS_SECONDS.forEach((bound, i) => {
      if (value <= bound) this.counts[i]++;
    });
  }

  snapshot(): { buckets: [number, number][]; count: number; sum: number } {
    return {
      buckets: LatencyHistogram.BOUNDS_SECONDS.map((b, i) => [b, this.counts[i]]),
      count: this.total,
      sum: this.sum,
    };
  }
}
