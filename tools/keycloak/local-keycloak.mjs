/* global AbortSignal */
// Download (once), start and stop a real Keycloak server from Node, no Docker.
// Plain ESM, Node built-ins only: usable from jest globalSetup/teardown and from a shell:
//   node tools/keycloak/local-keycloak.mjs           start one, print its URL, stop it on Ctrl-C
//   node tools/keycloak/local-keycloak.mjs --fetch   only download and unpack into the cache
//
//   import { startLocalKeycloak } from '../tools/keycloak/local-keycloak.mjs';
//   const kc = await startLocalKeycloak();   // free ports, a fresh database, SSF on
//   kc.url                                   // 'http://127.0.0.1:<port>'
//   await kc.stop();                         // SIGTERM to its process group, SIGKILL after a deadline
//
// The distribution (org.keycloak:keycloak-quarkus-dist, tar.gz) comes from Maven Central, is checked
// against the .sha512 Maven Central publishes next to it, and is unpacked once into the cache.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { findFreePort } from '../kafka/local-kafka.mjs';

export { findFreePort };

export const DEFAULT_KEYCLOAK_VERSION = '26.7.3';
const MAVEN_CENTRAL = 'https://repo1.maven.org/maven2';

function defaultCacheDir() {
  return (
    process.env.KEYCLOAK_CACHE_DIR ||
    path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'keycloak-local')
  );
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}

function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], ...options });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${stderr.trim()}`)),
    );
  });
}

/**
 * Make sure Keycloak `version` is unpacked in the cache; download it from Maven Central first if
 * it is not. Resolves with the directory that holds bin/kc.sh (never written to by a server: each
 * server runs from a work dir of its own, see startLocalKeycloak).
 */
export async function ensureKeycloakDist({
  version = DEFAULT_KEYCLOAK_VERSION,
  cacheDir = defaultCacheDir(),
  log = console.error,
} = {}) {
  const versionDir = path.join(cacheDir, version);
  const home = path.join(versionDir, `keycloak-${version}`);
  const complete = path.join(versionDir, '.complete');
  if (fs.existsSync(complete)) return home;

  const name = `keycloak-quarkus-dist-${version}.tar.gz`;
  const url = `${MAVEN_CENTRAL}/org/keycloak/keycloak-quarkus-dist/${version}/${name}`;
  const started = Date.now();

  const shaResponse = await fetch(`${url}.sha512`);
  if (!shaResponse.ok) {
    throw new Error(
      `GET ${url}.sha512: HTTP ${shaResponse.status} (is ${version} on Maven Central?)`,
    );
  }
  const expected = (await shaResponse.text()).trim().split(/\s+/)[0].toLowerCase();
  if (!/^[0-9a-f]{128}$/.test(expected))
    throw new Error(`${url}.sha512 is not a SHA-512: ${expected}`);

  const response = await fetch(url);
  if (!response.ok || !response.body) throw new Error(`GET ${url}: HTTP ${response.status}`);
  fs.mkdirSync(versionDir, { recursive: true });
  const total = Number(response.headers.get('content-length')) || 0;
  log(
    `[keycloak] first run: downloading ${name} (${(total / 1e6).toFixed(0)} MB) from Maven Central`,
  );
  // A tmp name per process: two first runs at once each download, and the first rename wins.
  const tarball = path.join(versionDir, `${name}.${process.pid}.tmp`);
  const unpackDir = path.join(versionDir, `unpack.${process.pid}.tmp`);
  try {
    const hash = createHash('sha512');
    let received = 0;
    let nextReport = 0.25;
    const meter = new Transform({
      transform(chunk, _encoding, done) {
        hash.update(chunk);
        received += chunk.length;
        if (total && received / total >= nextReport) {
          log(
            `[keycloak] ${Math.round((received / total) * 100)}% in ${seconds(Date.now() - started)}`,
          );
          nextReport += 0.25;
        }
        done(null, chunk);
      },
    });
    await pipeline(Readable.fromWeb(response.body), meter, fs.createWriteStream(tarball));
    const actual = hash.digest('hex');
    if (actual !== expected) {
      throw new Error(`${name}: SHA-512 ${actual} does not match Maven Central's ${expected}`);
    }
    const downloadMs = Date.now() - started;
    log(
      `[keycloak] downloaded ${(received / 1e6).toFixed(1)} MB in ${seconds(downloadMs)}, SHA-512 verified`,
    );

    const unpackStarted = Date.now();
    fs.rmSync(unpackDir, { recursive: true, force: true });
    fs.mkdirSync(unpackDir);
    await run('tar', ['-xzf', tarball, '--no-same-owner', '-C', unpackDir]);
    if (!fs.existsSync(path.join(unpackDir, `keycloak-${version}`, 'bin', 'kc.sh'))) {
      throw new Error(`${name} has no keycloak-${version}/bin/kc.sh`);
    }
    if (!fs.existsSync(complete)) {
      fs.rmSync(home, { recursive: true, force: true });
      fs.renameSync(path.join(unpackDir, `keycloak-${version}`), home);
      fs.writeFileSync(complete, `${url}\nsha512 ${expected}\n`);
    }
    log(`[keycloak] unpacked into ${home} in ${seconds(Date.now() - unpackStarted)}`);
  } finally {
    fs.rmSync(tarball, { force: true });
    fs.rmSync(unpackDir, { recursive: true, force: true });
  }
  return home;
}

// Process groups started by this process and not stopped yet: SIGKILLed when Node exits. (If Node
// is SIGKILLed, the supervisor below notices within half a second and stops Keycloak.)
const running = new Set();
let exitHookInstalled = false;
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pgid of running) signalGroup(pgid, 'SIGKILL');
  });
}

function signalGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: nobody left in the group
  }
}

function groupAlive(pgid) {
  return signalGroup(pgid, 0);
}

// Resident memory of every process in the group, from /proc (Linux only; 0 elsewhere).
function groupRssBytes(pgid) {
  let total = 0;
  let entries;
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return 0;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid) continue; // field 5 of stat: pgrp
      total += Number(fields[21]) * 4096; // field 24: rss in pages
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

// The supervisor: the leader of a new process group (spawned detached, i.e. setsid). It runs
// kc.sh (which forks the JVM) in the same group, and when the parent process goes away, however it
// goes away (a CI phase timeout SIGKILLs jest), it takes the whole group down (SIGTERM, SIGKILL
// after $3 seconds) and deletes the work dir $4.
const SUPERVISOR = `
parent=$1; parent_start=$2; stop_after=$3; work_dir=$4; shift 4
start_of() { s=$(cat /proc/$1/stat 2>/dev/null) || return 0; s=\${s##*) }; set -- $s; echo "\${20}"; }
# others: sets $others to the pids in our group but this shell. Builtins only: a subshell or a
# pgrep would be in the group too.
others() {
  others=''
  for f in /proc/[0-9]*/stat; do
    read -r line < "$f" 2>/dev/null || continue
    set -- \${line##*) }
    pid=\${f#/proc/}; pid=\${pid%/stat}
    [ "$3" = "$$" ] && [ "$1" != Z ] && [ "$pid" != "$$" ] && others="$others $pid"
  done
}
"$@" &
kc=$!
trap 'kill -TERM $kc 2>/dev/null' TERM INT
while kill -0 $kc 2>/dev/null; do
  if ! kill -0 "$parent" 2>/dev/null || [ "$(start_of "$parent")" != "$parent_start" ]; then
    echo "[keycloak-supervisor] parent $parent is gone: stopping Keycloak" >&2
    trap '' TERM
    kill -TERM 0
    i=0
    others
    while [ $i -lt $((stop_after * 10)) ] && [ -n "$others" ]; do sleep 0.1; i=$((i + 1)); others; done
    [ -z "$others" ] || kill -KILL $others 2>/dev/null
    others
    while [ -n "$others" ]; do sleep 0.1; others; done
    rm -rf "$work_dir"
    exit 1
  fi
  sleep 0.5
done
wait $kc
`;

function processStartTime(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return '';
  }
}

function tailOf(file, lines) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// Each server runs from a work dir of its own: hard links to the cached distribution (nothing in it
// is written to), plus real copies of what a server writes (lib/quarkus, where start-dev puts the
// augmented build, and conf) and an empty data dir (a fresh H2 database every run).
async function prepareWorkDir(home, workDir, augmented) {
  const target = path.join(workDir, 'keycloak');
  try {
    await run('cp', ['-al', home, target]);
  } catch {
    fs.rmSync(target, { recursive: true, force: true });
    await run('cp', ['-a', home, target]); // another file system: a real copy (about 190 MB)
  }
  for (const dir of ['lib/quarkus', 'conf', 'data']) {
    fs.rmSync(path.join(target, dir), { recursive: true, force: true });
  }
  const quarkus =
    augmented && fs.existsSync(augmented) ? augmented : path.join(home, 'lib/quarkus');
  fs.cpSync(quarkus, path.join(target, 'lib/quarkus'), { recursive: true });
  fs.cpSync(path.join(home, 'conf'), path.join(target, 'conf'), { recursive: true });
  return target;
}

/**
 * Start Keycloak in dev mode (`kc.sh start-dev`: H2 database in the work dir, no TLS, no
 * clustering) on 127.0.0.1 with the SSF transmitter on, and resolve once
 * /realms/master/.well-known/openid-configuration answers 200.
 *
 * The first start with a given feature set spends ~40 s re-building (Quarkus augmentation) for
 * start-dev; the result is kept in the cache, so later starts skip it.
 *
 * @param {object} [options]
 * @param {string} [options.version='26.7.3']
 * @param {number} [options.httpPort=0] 0 = a free port
 * @param {number} [options.managementPort=0] health/metrics interface; 0 = a free port
 * @param {string} [options.adminUsername='admin'] bootstrap admin of the master realm
 * @param {string} [options.adminPassword='admin']
 * @param {string} [options.features='ssf'] --features
 * @param {string} [options.drainerInterval='500ms'] SSF push outbox drainer tick (push latency)
 * @param {string[]} [options.args] more kc.sh start-dev arguments
 * @param {Record<string,string>} [options.env] more environment for kc.sh (JAVA_OPTS_APPEND,
 *   default '-XX:TieredStopAtLevel=1'; JAVA_OPTS_KC_HEAP, default '-Xms64m -Xmx512m'; ...)
 * @param {number} [options.readyTimeoutMs=180000]
 * @param {string} [options.cacheDir] default ${XDG_CACHE_HOME:-~/.cache}/keycloak-local
 * @param {(line: string) => void} [options.log=console.error] progress lines
 */
export async function startLocalKeycloak({
  version = DEFAULT_KEYCLOAK_VERSION,
  httpPort = 0,
  managementPort = 0,
  adminUsername = 'admin',
  adminPassword = 'admin',
  features = 'ssf',
  drainerInterval = '500ms',
  args = [],
  env = {},
  readyTimeoutMs = 180_000,
  cacheDir = defaultCacheDir(),
  log = console.error,
} = {}) {
  const started = Date.now();
  const home = await ensureKeycloakDist({ version, cacheDir, log });
  if (httpPort === 0) httpPort = await findFreePort();
  if (managementPort === 0) {
    do managementPort = await findFreePort();
    while (managementPort === httpPort);
  }
  // The augmented build depends on the build options (features); keep one per feature set.
  const augmented = path.join(
    cacheDir,
    version,
    `start-dev-${createHash('sha256').update(features).digest('hex').slice(0, 12)}`,
  );
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keycloak-local.'));
  let pgid;
  try {
    const kcHome = await prepareWorkDir(home, workDir, augmented);
    const logFile = path.join(workDir, 'keycloak.log');
    const out = fs.openSync(logFile, 'a');
    const kcArgs = [
      'start-dev',
      '--http-host=127.0.0.1',
      `--http-port=${httpPort}`,
      `--http-management-port=${managementPort}`,
      ...(features ? [`--features=${features}`] : []),
      '--spi-ssf-transmitter--default--allow-insecure-push-targets=true',
      `--spi-ssf-transmitter--default--outbox-drainer-interval=${drainerInterval}`,
      ...args,
    ];
    const stopAfterSeconds = 20;
    const child = spawn(
      'bash',
      [
        '-c',
        SUPERVISOR,
        'keycloak-supervisor',
        String(process.pid),
        processStartTime(process.pid),
        String(stopAfterSeconds),
        workDir,
        path.join(kcHome, 'bin/kc.sh'),
        ...kcArgs,
      ],
      {
        cwd: kcHome,
        detached: true, // setsid: a process group of its own, stopped as one
        stdio: ['ignore', out, out],
        env: {
          ...process.env,
          KC_BOOTSTRAP_ADMIN_USERNAME: adminUsername,
          KC_BOOTSTRAP_ADMIN_PASSWORD: adminPassword,
          // C1-only JIT: starts in ~16 s instead of ~22 s on 2 cores; throughput does not matter.
          JAVA_OPTS_APPEND: '-XX:TieredStopAtLevel=1',
          ...env,
        },
      },
    );
    fs.closeSync(out);
    pgid = child.pid;
    running.add(pgid);
    installExitHook();
    let exited;
    child.on('exit', (code, signal) => (exited = code ?? signal));
    child.unref();
    log(
      `[keycloak] starting ${version} on http://127.0.0.1:${httpPort} (management ${managementPort}), work dir ${workDir}`,
    );

    const url = `http://127.0.0.1:${httpPort}`;
    const launched = Date.now();
    const deadline = launched + readyTimeoutMs;
    for (;;) {
      if (exited !== undefined) {
        throw new Error(`Keycloak exited (${exited}) before it was ready`);
      }
      try {
        const res = await fetch(`${url}/realms/master/.well-known/openid-configuration`, {
          signal: AbortSignal.timeout(2_000),
        });
        if (res.status === 200) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        throw new Error(`Keycloak was not ready after ${readyTimeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const readyMs = Date.now() - launched;
    log(
      `[keycloak] ready at ${url} in ${seconds(readyMs)} (${seconds(Date.now() - started)} with preparation)`,
    );
    if (!fs.existsSync(augmented)) {
      // Keep the augmented build for the next start (a rename, so a half copy is never used).
      const tmp = `${augmented}.${process.pid}.tmp`;
      fs.cpSync(path.join(kcHome, 'lib/quarkus'), tmp, { recursive: true });
      try {
        fs.renameSync(tmp, augmented);
      } catch {
        fs.rmSync(tmp, { recursive: true, force: true }); // someone else was first
      }
    }

    const handle = {
      url,
      httpPort,
      managementPort,
      version,
      adminUsername,
      adminPassword,
      workDir,
      logFile,
      readyMs,
      /** The process group id (= the supervisor's pid); undefined once stopped. */
      get pid() {
        return running.has(pgid) ? pgid : undefined;
      },
      /** Resident memory of the server's processes, in bytes (Linux). */
      rssBytes: () => groupRssBytes(pgid),
      /** The last lines of the server log (stdout and stderr of kc.sh). */
      logTail: (lines = 60) => tailOf(logFile, lines),
      /**
       * SIGTERM to the whole process group, SIGKILL after `timeoutMs`; resolves once nobody in the
       * group is left. Deletes the work dir unless keepWorkDir.
       */
      async stop({ timeoutMs = 20_000, keepWorkDir = false } = {}) {
        if (!running.has(pgid)) return;
        const stopStarted = Date.now();
        signalGroup(pgid, 'SIGTERM');
        while (groupAlive(pgid) && Date.now() - stopStarted < timeoutMs) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        if (groupAlive(pgid)) {
          log(`[keycloak] still running ${timeoutMs} ms after SIGTERM: SIGKILL`);
          signalGroup(pgid, 'SIGKILL');
          while (groupAlive(pgid)) await new Promise((resolve) => setTimeout(resolve, 50));
        }
        running.delete(pgid);
        log(`[keycloak] stopped in ${seconds(Date.now() - stopStarted)}`);
        if (!keepWorkDir) fs.rmSync(workDir, { recursive: true, force: true });
      },
    };
    return handle;
  } catch (err) {
    const tail = tailOf(path.join(workDir, 'keycloak.log'), 60);
    if (pgid !== undefined) {
      signalGroup(pgid, 'SIGKILL');
      running.delete(pgid);
    }
    fs.rmSync(workDir, { recursive: true, force: true });
    throw new Error(`${err.message}\nLast lines of the Keycloak log:\n${tail}`, { cause: err });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--fetch')) {
    console.log(await ensureKeycloakDist());
  } else {
    const kc = await startLocalKeycloak();
    console.log(`KEYCLOAK_URL=${kc.url}`);
    console.log(
      `admin: ${kc.adminUsername} / ${kc.adminPassword}; log: ${kc.logFile}; Ctrl-C stops it`,
    );
    for (const signal of ['SIGINT', 'SIGTERM']) {
      process.once(signal, () => void kc.stop().then(() => process.exit(0)));
    }
  }
}
