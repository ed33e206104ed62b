import { Inject, Injectable } from '@nestjs/common';
import type { GuardComponents } from '../core/guard-components.js';
import { PROMETHEUS_CONTENT_TYPE } from '../core/guard-metrics.js';
import { GUARD_COMPONENTS } from './revocation-guard.module-definition.js';

/**
 * Prometheus text exposition (format 0.0.4) of the guard's state, without a client library:
 * serve `render()` from a `/metrics` route with content type {@link RevocationMetrics.CONTENT_TYPE}.
 * An app with prom-client gives the module `metrics: { registry }` instead: the same metrics then
 * join its registry.
 */
@Injectable()
export class RevocationMetrics {
  static readonly CONTENT_TYPE = PROMETHEUS_CONTENT_TYPE;

  constructor(@Inject(GUARD_COMPONENTS) private readonly components: GuardComponents) {}

  render(): string {
    return this.components.metrics.render();
  }
}
