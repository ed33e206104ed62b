// Load generator for bench/http-throughput.mjs, run as a second process so the load does not
// share the server's event loop. Reads its settings from the environment (the token never
// appears on a command line) and prints one JSON line with autocannon's figures.
import autocannon from 'autocannon';

const { LOAD_URL, LOAD_TOKEN, LOAD_CONNECTIONS, LOAD_SECONDS } = process.env;
const result = await autocannon({
  url: LOAD_URL,
  connections: Number(LOAD_CONNECTIONS),
  duration: Number(LOAD_SECONDS),
  headers: LOAD_TOKEN ? { authorization: `Bearer ${LOAD_TOKEN}` } : {},
});
process.stdout.write(
  `${JSON.stringify({
    requestsPerSec: result.requests.average,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
  })}\n`,
);
