import { ConfigurableModuleBuilder } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { RevocationGuardModuleOptions } from './revocation-guard.options.js';
import { RevocationGuard } from './revocation.guard.js';
import { UnsupportedContextWarnings } from './unsupported-context-warnings.js';

/** The guard's working parts (`GuardComponents`), built once from the options. */
export const GUARD_COMPONENTS = Symbol('GUARD_COMPONENTS');

/** The health of the module's JWKS caches (`{ health(): KeySetHealth }`), for readiness. */
export const GUARD_JWKS = Symbol('GUARD_JWKS');

/** Module-level switches, given beside the options: `forRoot({ ...options, globalGuard: false })`. */
export interface RevocationGuardModuleExtras {
  /** Register the module globally. Default true. */
  isGlobal: boolean;
  /**
   * Install {@link RevocationGuard} for every route (deny by default), and warn at start-up of
   * each handler it refuses for its context (`GUARD_CONTEXT_UNSUPPORTED`). Default true.
   */
  globalGuard: boolean;
}

export const {
  ConfigurableModuleClass: RevocationGuardConfigurableModule,
  MODULE_OPTIONS_TOKEN: REVOCATION_GUARD_OPTIONS,
} = new ConfigurableModuleBuilder<RevocationGuardModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras<RevocationGuardModuleExtras>(
    { isGlobal: true, globalGuard: true },
    (definition, extras) => ({
      ...definition,
      global: extras.isGlobal,
      providers: extras.globalGuard
        ? [
            ...(definition.providers ?? []),
            { provide: APP_GUARD, useExisting: RevocationGuard },
            UnsupportedContextWarnings,
          ]
        : definition.providers,
    }),
  )
  .build();
