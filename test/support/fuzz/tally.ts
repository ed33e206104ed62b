/** Counts what the fuzzer sent and got back, and checks each error code keeps one status. */
export class FuzzTally {
  private readonly perEndpoint = new Map<string, number>();
  private readonly statuses = new Map<number, number>();
  private readonly statusOfCode = new Map<string, number>();
  private total = 0;

  /** Records one answer; returns a problem when `code` was seen before with another status. */
  record(endpoint: string, status: number, code: unknown): string | undefined {
    this.total++;
    this.perEndpoint.set(endpoint, (this.perEndpoint.get(endpoint) ?? 0) + 1);
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    if (typeof code !== 'string' || status < 400) return undefined;
    const before = this.statusOfCode.get(code);
    if (before === undefined) this.statusOfCode.set(code, status);
    return before === undefined || before === status
      ? undefined
      : `code ${code} answered with ${status}, earlier with ${before}`;
  }

  get requests(): number {
    return this.total;
  }

  casesOf(endpoint: string): number {
    return this.perEndpoint.get(endpoint) ?? 0;
  }

  /** One line: cases per endpoint, then the status histogram and the codes seen. */
  summary(): string {
    const endpoints = [...this.perEndpoint].map(([e, n]) => `${e}=${n}`).join(', ');
    const statuses = [...this.statuses]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s}:${n}`)
      .join(' ');
    const codes = [...this.statusOfCode.keys()].sort().join(' ');
    return `REST fuzz: ${this.total} requests; per endpoint: ${endpoints}; statuses: ${statuses}; error codes: ${codes}`;
  }
}
