/**
 * Microservice messages the guard refused, by kind (`message`, `event`) and error code: counted
 * here, framework-free, so `GuardMetrics` reports them (`tokenfence_rpc_refusals_total`) in
 * `render()` and in a prom-client registry alike. The Nest rpc transport records into it.
 */
export class RpcRefusalCounts {
  /** `kind code` → count. */
  private readonly counts = new Map<string, number>();

  /** Counts one refusal; returns the count of this kind and code so far. */
  record(kind: string, code: string): number {
    const key = `${kind} ${code}`;
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    return count;
  }

  /** `[kind, code, count]` of every refusal so far. */
  snapshot(): [kind: string, code: string, count: number][] {
    return [...this.counts].map(([key, count]) => {
      const [kind = '', code = ''] = key.split(' ');
      return [kind, code, count];
    });
  }
}
