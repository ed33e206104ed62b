// Types for local-kafka.mjs (plain ESM JavaScript, Node built-ins only).
export interface LocalKafka {
  /** '127.0.0.1:<port>' */
  readonly brokers: string;
  readonly port: number;
  readonly controllerPort: number;
  /** PID of the broker JVM; undefined while stopped */
  readonly pid: number;
  readonly workDir: string;
  /** true between a successful start/restart and stop() */
  readonly running: boolean;
  /**
   * Stop the broker and wait until no broker process is left.
   * keepWorkDir default: false for a temporary work dir (deleted), true for a workDir you passed.
   * signal 'SIGKILL' = hard kill (crash); with keepWorkDir: true, restart() brings it back with its data.
   */
  stop(options?: { keepWorkDir?: boolean; signal?: 'SIGTERM' | 'SIGKILL' }): Promise<void>;
  /** Start the same broker again: same work dir, ports, topics and messages. Stops it first if running. */
  restart(): Promise<void>;
}
export function startLocalKafka(options?: {
  /** client port, default 9092; 0 = a free port */
  port?: number;
  /** KRaft controller port, default 9093; 0 = a free port */
  controllerPort?: number;
  /** reused if it already holds a formatted broker; default: a new temp dir */
  workDir?: string;
  /** receives start.sh/stop.sh output lines (Maven download progress on the first run); default console.error */
  log?: (line: string) => void;
  /** extra environment for start.sh, e.g. { KAFKA_HEAP_OPTS: '-Xmx256m', KAFKA_SERVER_PROPERTIES: 'k=v' } */
  env?: Record<string, string>;
}): Promise<LocalKafka>;
/** A TCP port that is free on 127.0.0.1 right now. */
export function findFreePort(): Promise<number>;
