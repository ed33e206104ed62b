// @tokenfence/revocation-guard/terminus: the Terminus health indicator. A separate entry point so
// that only services using @nestjs/terminus need it installed.
export { RevocationHealthIndicator } from './terminus/revocation-health.indicator.js';
