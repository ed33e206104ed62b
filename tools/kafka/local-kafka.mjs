// Start/stop a real single-node Apache Kafka broker (tools/kafka/start.sh, stop.sh) from Node.
// Plain ESM, Node built-ins only: usable from `npm start` scripts and from jest globalSetup/teardown.
//
//   import { startLocalKafka, findFreePort } from '../tools/kafka/local-kafka.mjs';
//   const kafka = await startLocalKafka({ port: 0, controllerPort: 0 });   // 0 = a free port
//   kafka.brokers                                  // '127.0.0.1:<port>'
//   await kafka.stop({ keepWorkDir: true, signal: 'SIGKILL' });   // crash it, keep its data
//   await kafka.restart();                         // same broker, same port, same topics/messages
//   await kafka.stop();                            // orderly stop; deletes a temporary work dir
//
// The broker never outlives this Node process: start.sh runs it under a supervisor that stops it
// when this process (KAFKA_PARENT_PID) exits, however it exits (even SIGKILL); and on a normal
// exit this module also sends it SIGTERM itself.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const START_SH = path.join(HERE, 'start.sh');
const STOP_SH = path.join(HERE, 'stop.sh');

/** A TCP port that is free on 127.0.0.1 right now (the OS picks it). */
export function findFreePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// Brokers started by this process that have not been stopped: SIGTERM them when the process exits
// (their supervisors then delete temporary work dirs). Temporary work dirs kept by
// stop({ keepWorkDir: true }) and never restarted are deleted here.
const running = new Set();
const keptTempDirs = new Set();
let exitHookInstalled = false;
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pid of running) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    for (const dir of keptTempDirs) {
      try {
        fs.rmSync(dir, { recursive: true, force: true });
      } catch {
        // best effort
      }
    }
  });
}

// Run a script with bash; forward its stderr lines to log(); keep the last ones for error messages.
function runScript(script, env, log) {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let partial = '';
    const tail = [];
    const onLine = (line) => {
      tail.push(line);
      if (tail.length > 80) tail.shift();
      log(line);
    };
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => {
      const lines = (partial + d).split('\n');
      partial = lines.pop();
      lines.forEach(onLine);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (partial) onLine(partial);
      resolve({ code: code ?? `signal ${signal}`, stdout, tail: tail.join('\n') });
    });
  });
}

function parseEnvLines(text) {
  const out = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]] = m[2];
  }
  return out;
}

function normalizeSignal(signal) {
  const s = String(signal ?? 'SIGTERM')
    .toUpperCase()
    .replace(/^SIG/, '');
  if (s === 'TERM' || s === '15') return 'TERM';
  if (s === 'KILL' || s === '9') return 'KILL';
  throw new Error(`stop(): signal must be SIGTERM or SIGKILL, got ${signal}`);
}

/**
 * Start a single-node Kafka broker on 127.0.0.1 and resolve once it answers Metadata requests.
 * @param {object} [options]
 * @param {number} [options.port=9092] client port; 0 = pick a free one
 * @param {number} [options.controllerPort=9093] KRaft controller port; 0 = pick a free one
 * @param {string} [options.workDir] data/log/config dir; reused if it already holds a formatted
 *   broker (restart with its data). Default: a new temp dir, deleted by stop().
 * @param {(line: string) => void} [options.log=console.error] receives start.sh/stop.sh output
 *   (first run: Maven's download progress)
 * @param {Record<string,string>} [options.env] extra environment for start.sh (KAFKA_VERSION,
 *   KAFKA_HEAP_OPTS, KAFKA_SERVER_PROPERTIES, KAFKA_START_TIMEOUT, ...)
 */
export async function startLocalKafka({
  port = 9092,
  controllerPort = 9093,
  workDir,
  log = console.error,
  env = {},
} = {}) {
  if (port === 0) port = await findFreePort();
  if (controllerPort === 0) {
    do controllerPort = await findFreePort();
    while (controllerPort === port);
  }
  const ownWorkDir = !workDir;
  const baseEnv = { ...process.env, ...env };
  // These are set from the options only; never inherited by accident.
  for (const k of [
    'KAFKA_WORK_DIR',
    'KAFKA_PORT',
    'KAFKA_CONTROLLER_PORT',
    'KAFKA_PARENT_PID',
    'KAFKA_PID_FILE',
  ]) {
    delete baseEnv[k];
  }

  const state = { pid: undefined, workDir: workDir ? path.resolve(workDir) : undefined };

  async function start() {
    const startEnv = {
      ...baseEnv,
      KAFKA_PORT: String(port),
      KAFKA_CONTROLLER_PORT: String(controllerPort),
      KAFKA_PARENT_PID: String(process.pid),
      ...(state.workDir ? { KAFKA_WORK_DIR: state.workDir } : {}),
    };
    const r = await runScript(START_SH, startEnv, log);
    if (r.code !== 0) {
      throw new Error(
        `Kafka broker failed to start on 127.0.0.1:${port} (start.sh exit ${r.code}).\n` +
          `Last output of start.sh (it includes the tail of the broker log):\n${r.tail}`,
      );
    }
    const out = parseEnvLines(r.stdout);
    state.pid = Number(out.KAFKA_PID);
    state.workDir = out.KAFKA_WORK_DIR;
    keptTempDirs.delete(state.workDir);
    running.add(state.pid);
    installExitHook();
  }

  await start();

  const handle = {
    brokers: `127.0.0.1:${port}`,
    port,
    controllerPort,
    get pid() {
      return state.pid;
    },
    get workDir() {
      return state.workDir;
    },
    get running() {
      return state.pid !== undefined;
    },
    /**
     * Stop the broker and wait until no broker/supervisor process is left.
     * @param {{ keepWorkDir?: boolean, signal?: 'SIGTERM'|'SIGKILL' }} [opts]
     *   keepWorkDir default: false for a temp work dir, true for a workDir you passed in.
     *   signal SIGKILL = hard kill (crash), still restartable with its data if keepWorkDir.
     */
    async stop({ keepWorkDir = !ownWorkDir, signal = 'SIGTERM' } = {}) {
      if (state.pid === undefined) return;
      const r = await runScript(
        STOP_SH,
        {
          ...baseEnv,
          KAFKA_WORK_DIR: state.workDir,
          KAFKA_STOP_SIGNAL: normalizeSignal(signal),
          KAFKA_KEEP_WORK_DIR: keepWorkDir ? '1' : '0',
        },
        log,
      );
      if (r.code !== 0) throw new Error(`stop.sh failed (exit ${r.code}):\n${r.tail}`);
      running.delete(state.pid);
      state.pid = undefined;
      state.keptWorkDir = keepWorkDir;
      if (keepWorkDir && ownWorkDir) keptTempDirs.add(state.workDir);
    },
    /** Start the same broker again (same work dir, ports, topics and data). Stops it first if running. */
    async restart() {
      if (state.pid !== undefined) await handle.stop({ keepWorkDir: true });
      else if (state.keptWorkDir === false) {
        throw new Error(
          `restart(): the work dir ${state.workDir} was deleted by stop(); use stop({ keepWorkDir: true })`,
        );
      }
      await start();
    },
  };
  return handle;
}
