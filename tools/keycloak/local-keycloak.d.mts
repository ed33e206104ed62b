// Types for local-keycloak.mjs (plain ESM JavaScript, Node built-ins only).
export const DEFAULT_KEYCLOAK_VERSION: string;
export interface LocalKeycloak {
  /** 'http://127.0.0.1:<httpPort>' */
  readonly url: string;
  readonly httpPort: number;
  readonly managementPort: number;
  readonly version: string;
  /** bootstrap admin of the master realm */
  readonly adminUsername: string;
  readonly adminPassword: string;
  /** the server's own dir (hard links to the cache, its H2 database, keycloak.log) */
  readonly workDir: string;
  readonly logFile: string;
  /** launch → /realms/master/.well-known/openid-configuration answered 200 */
  readonly readyMs: number;
  /** process group id (the supervisor's pid); undefined once stopped */
  readonly pid: number | undefined;
  /** resident memory of the whole process group, in bytes (Linux) */
  rssBytes(): number;
  /** the last lines of keycloak.log */
  logTail(lines?: number): string;
  /** SIGTERM to the group, SIGKILL after timeoutMs (default 20000); deletes the work dir unless keepWorkDir */
  stop(options?: { timeoutMs?: number; keepWorkDir?: boolean }): Promise<void>;
}
export function startLocalKeycloak(options?: {
  version?: string;
  /** default 0 = a free port */
  httpPort?: number;
  /** default 0 = a free port */
  managementPort?: number;
  adminUsername?: string;
  adminPassword?: string;
  /** --features, default 'ssf' */
  features?: string;
  /** SSF push outbox drainer interval, default '500ms' */
  drainerInterval?: string;
  /** more kc.sh start-dev arguments */
  args?: string[];
  /** more environment for kc.sh (JAVA_OPTS_APPEND, JAVA_OPTS_KC_HEAP, ...) */
  env?: Record<string, string>;
  /** default 180000 */
  readyTimeoutMs?: number;
  /** default ${XDG_CACHE_HOME:-~/.cache}/keycloak-local (or KEYCLOAK_CACHE_DIR) */
  cacheDir?: string;
  log?: (line: string) => void;
}): Promise<LocalKeycloak>;
/** Download (once, SHA-512 checked) and unpack; resolves with the cached distribution dir. */
export function ensureKeycloakDist(options?: {
  version?: string;
  cacheDir?: string;
  log?: (line: string) => void;
}): Promise<string>;
export function findFreePort(): Promise<number>;
