/** The few log calls the core makes; Nest's `Logger` satisfies it. Never pass tokens to it. */
export interface GuardLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Expected, harmless lines (a Nest `Logger` has it); dropped when absent. */
  debug?(message: string): void;
}

export const silentLogger: GuardLogger = { log: () => {}, warn: () => {}, error: () => {} };
