// @tokenfence/revocation-guard/swagger: OpenAPI decorators. A separate entry point so that only
// services using @nestjs/swagger need it installed.
export {
  ApiRevocationGuard,
  type ApiRevocationGuardOptions,
} from './swagger/api-revocation-guard.decorator.js';
