#!/usr/bin/env node
'use strict';
// Provisions (via Maven) and runs a single-node Apache Kafka 4.x broker in KRaft mode, without Docker.
// Module API: provision, startBroker, stopBroker, killBroker, brokerStatus, isReady. CLI: see usage().

const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const HOST = '127.0.0.1';
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const POM = path.join(__dirname, 'pom.xml');
const LOG4J_CONFIG = path.join(__dirname, 'log4j2.xml');
const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 30_000;
const PROVISION_LOCK_TIMEOUT_MS = 10 * 60_000;
const MAX_MESSAGE_BYTES = 10 * 1024 * 1024; // room for 8 MiB records plus batch overhead

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Options

function resolveOptions(opts = {}) {
  const port = toPort(opts.port ?? process.env.KAFKA_PORT ?? 9092, 'port');
  const controllerPort = toPort(opts.controllerPort ?? port + 1, 'controllerPort');
  if (controllerPort === port) throw new Error('port and controllerPort must differ');
  const cacheDir = path.resolve(opts.cacheDir ?? path.join(PROJECT_ROOT, '.cache', 'kafka'));
  const dataDir = path.resolve(opts.dataDir ?? path.join(cacheDir, `data-${port}`));
  return {
    port,
    controllerPort,
    partitions: Number(opts.partitions ?? 3),
    cacheDir,
    libsDir: path.join(cacheDir, 'libs'),
    dataDir,
    logDirs: path.join(dataDir, 'logs'),
    propsFile: path.join(dataDir, 'server.properties'),
    pidFile: path.join(dataDir, 'broker.pid'),
    brokerLog: path.join(dataDir, 'broker.log'),
    stdoutLog: path.join(dataDir, 'broker.stdout.log'),
  };
}

function toPort(value, name) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`invalid ${name}: ${value}`);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Provisioning: Maven copies the broker classpath into <cacheDir>/libs once.

function kafkaVersion() {
  const match = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(fs.readFileSync(POM, 'utf8'));
  if (!match) throw new Error(`kafka.version not found in ${POM}`);
  return match[1];
}

// The marker pins the exact pom, so editing versions in pom.xml triggers a fresh copy.
function provisionStamp() {
  const pomHash = crypto.createHash('sha256').update(fs.readFileSync(POM)).digest('hex').slice(0, 16);
  return `kafka ${kafkaVersion()} pom ${pomHash}`;
}

function isProvisioned(o) {
  return readText(path.join(o.libsDir, '.provisioned')) === provisionStamp();
}

async function provision(opts) {
  const o = resolveOptions(opts);
  const version = kafkaVersion();
  if (isProvisioned(o)) return { libsDir: o.libsDir, version, cached: true };
  fs.mkdirSync(o.cacheDir, { recursive: true });
  return withLock(path.join(o.cacheDir, 'provision.lock'), PROVISION_LOCK_TIMEOUT_MS, async () => {
    if (isProvisioned(o)) return { libsDir: o.libsDir, version, cached: true };
    // Copy into a fresh folder and swap it in, so an interrupted run never looks provisioned.
    const staging = `${o.libsDir}.tmp-${process.pid}`;
    fs.rmSync(staging, { recursive: true, force: true });
    await run('mvn', ['-B', '-q', '-f', POM, 'dependency:copy-dependencies', `-DoutputDirectory=${staging}`]);
    fs.writeFileSync(path.join(staging, '.provisioned'), provisionStamp());
    fs.rmSync(o.libsDir, { recursive: true, force: true });
    fs.renameSync(staging, o.libsDir);
    return { libsDir: o.libsDir, version, cached: false };
  });
}

// mkdir is atomic, so the lock directory doubles as the mutex; its owner file makes stale locks detectable.
async function withLock(lockDir, timeoutMs, fn) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const owner = Number(readText(path.join(lockDir, 'owner')));
      if (owner && !isAlive(owner)) fs.rmSync(lockDir, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${lockDir}`);
      else await sleep(500);
    }
  }
  fs.writeFileSync(path.join(lockDir, 'owner'), String(process.pid));
  try {
    return await fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (err) => reject(new Error(`cannot run ${cmd}: ${err.message}`)));
    child.on('exit', (code, signal) => {
      if (code === 0) resolve(output);
      else
        reject(
          new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${tail(output, 40)}`),
        );
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Broker configuration and storage

function serverProperties(o) {
  const props = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    listeners: `PLAINTEXT://${HOST}:${o.port},CONTROLLER://${HOST}:${o.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${HOST}:${o.port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'controller.quorum.bootstrap.servers': `${HOST}:${o.controllerPort}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': o.logDirs,
    'num.partitions': o.partitions,
    'auto.create.topics.enable': false,
    // One broker: internal topics must not ask for more replicas than exist, or groups hang silently.
    'offsets.topic.replication.factor': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    // Fewer __consumer_offsets partitions: the first group join creates them all (default 50).
    'offsets.topic.num.partitions': 10,
    'group.initial.rebalance.delay.ms': 0,
    // A restarted broker is refused (DuplicateBrokerRegistration) until the controller drops the old
    // incarnation: controlled shutdown deregisters it on stop; a short session bounds the wait after kill.
    'controlled.shutdown.enable': true,
    'broker.heartbeat.interval.ms': 500,
    'broker.session.timeout.ms': 3000,
    'message.max.bytes': MAX_MESSAGE_BYTES,
    'replica.fetch.max.bytes': MAX_MESSAGE_BYTES,
    'num.network.threads': 2,
    'num.io.threads': 4,
  };
  return (
    Object.entries(props)
      .map(([key, value]) => `${key}=${value}`)
      .join('\n') + '\n'
  );
}

function writeConfig(o) {
  fs.mkdirSync(o.logDirs, { recursive: true });
  fs.writeFileSync(o.propsFile, serverProperties(o));
}

// Same shape as Kafka's Uuid.randomUuid(): 16 random bytes, base64url, never starting with '-'.
function randomClusterId() {
  for (;;) {
    const id = crypto.randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

async function formatStorage(o) {
  if (fs.existsSync(path.join(o.logDirs, 'meta.properties'))) return false;
  const args = [
    ...jvmBaseArgs(o),
    'kafka.tools.StorageTool',
    'format',
    '--standalone',
    '-t',
    randomClusterId(),
    '-c',
    o.propsFile,
  ];
  await run(javaBin(), args);
  return true;
}

function javaBin() {
  return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

function jvmBaseArgs(o) {
  return [
    `-Dlog4j2.configurationFile=${LOG4J_CONFIG}`,
    `-Dkafka.logs.dir=${o.dataDir}`,
    '-Djava.awt.headless=true',
    '-cp',
    path.join(o.libsDir, '*'),
  ];
}

function brokerArgs(o) {
  const heap = (process.env.KAFKA_HEAP_OPTS || '-Xmx512m -Xms256m').split(/\s+/).filter(Boolean);
  return [
    ...heap,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:+ExitOnOutOfMemoryError',
    ...jvmBaseArgs(o),
    'kafka.Kafka',
    o.propsFile,
  ];
}

// ---------------------------------------------------------------------------------------------
// Process bookkeeping

function readText(file) {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

function tail(text, lines) {
  return text.split('\n').slice(-lines).join('\n');
}

function logTail(o, lines = 30) {
  const parts = [o.brokerLog, o.stdoutLog]
    .map((file) => [file, readText(file)])
    .filter(([, text]) => text)
    .map(([file, text]) => `--- ${file} (tail) ---\n${tail(text, lines)}`);
  return parts.length ? `\n${parts.join('\n')}` : '';
}

// A zombie still answers kill(pid, 0), so read /proc where it exists.
function isAlive(pid) {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat) return !/^\d+ \(.*\) [ZX]/.test(stat);
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

// Guards against a recycled pid: the process must be a Kafka broker using this data dir's config.
function isOurBroker(pid, o) {
  if (!pid || !isAlive(pid)) return false;
  const cmdline = readText(`/proc/${pid}/cmdline`);
  if (!cmdline) return process.platform !== 'linux';
  const args = cmdline.split('\0');
  return args.includes('kafka.Kafka') && args.includes(o.propsFile);
}

function livePid(o) {
  const pid = Number(readText(o.pidFile));
  if (isOurBroker(pid, o)) return pid;
  fs.rmSync(o.pidFile, { force: true });
  return 0;
}

async function waitForExit(pid, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

function portInUse(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (err) => resolve(err.code === 'EADDRINUSE' || err.code === 'EACCES'));
    server.listen(port, HOST, () => server.close(() => resolve(false)));
  });
}

// ---------------------------------------------------------------------------------------------
// Readiness probe: raw Kafka protocol over node:net (ApiVersions v0, then Metadata).

const API_METADATA = 3;
const API_VERSIONS = 18;

function encodeRequest(apiKey, apiVersion, correlationId, body = Buffer.alloc(0)) {
  const clientId = Buffer.from('kafka-broker-probe');
  const header = Buffer.alloc(10);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(apiVersion, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(clientId.length, 8);
  const size = Buffer.alloc(4);
  size.writeInt32BE(header.length + clientId.length + body.length, 0);
  return Buffer.concat([size, header, clientId, body]);
}

// Sends requests one after another on one connection; resolves with the response bodies.
function exchange(host, port, requests, timeoutMs) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const responses = [];
    let buffer = Buffer.alloc(0);
    const fail = (err) => {
      socket.destroy();
      reject(err);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error('probe timed out')));
    socket.on('error', fail);
    socket.on('close', () => reject(new Error('connection closed')));
    socket.on('connect', () => socket.write(requests[0](responses)));
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (buffer.length < 4 || buffer.length < 4 + buffer.readInt32BE(0)) return;
      const size = buffer.readInt32BE(0);
      const correlationId = buffer.readInt32BE(4);
      if (correlationId !== responses.length + 1) return fail(new Error('unexpected correlation id'));
      responses.push(buffer.subarray(8, 4 + size));
      buffer = buffer.subarray(4 + size);
      if (responses.length === requests.length) {
        socket.destroy();
        resolve(responses);
      } else {
        socket.write(requests[responses.length](responses));
      }
    });
  });
}

function parseApiVersions(body) {
  const errorCode = body.readInt16BE(0);
  if (errorCode !== 0) throw new Error(`ApiVersions error ${errorCode}`);
  const apis = new Map();
  const count = body.readInt32BE(2);
  for (let i = 0, at = 6; i < count; i++, at += 6) {
    apis.set(body.readInt16BE(at), { min: body.readInt16BE(at + 2), max: body.readInt16BE(at + 4) });
  }
  return apis;
}

// Metadata v1..v8 share the non-flexible layout; v3+ starts with throttle_time_ms.
function metadataVersion(apis) {
  const range = apis.get(API_METADATA);
  const version = range && Math.max(range.min, 1);
  if (!version || version > 8 || version > range.max) throw new Error('no usable Metadata version');
  return version;
}

function metadataRequest(apis) {
  const topics = Buffer.alloc(4); // empty array: brokers only, no topics
  return encodeRequest(API_METADATA, metadataVersion(apis), 2, topics);
}

function brokerCount(body, version) {
  return body.readInt32BE(version >= 3 ? 4 : 0);
}

async function isReady(host = HOST, port = 9092, timeoutMs = 2000) {
  try {
    let apis;
    const [, metadata] = await exchange(
      host,
      port,
      [
        () => encodeRequest(API_VERSIONS, 0, 1),
        ([versions]) => metadataRequest((apis = parseApiVersions(versions))),
      ],
      timeoutMs,
    );
    return brokerCount(metadata, metadataVersion(apis)) >= 1;
  } catch {
    return false;
  }
}

async function waitUntilReady(o, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let exited = null;
  child?.once('exit', (code, signal) => (exited = signal ?? `exit code ${code}`));
  for (;;) {
    if (await isReady(HOST, o.port, 2000)) return;
    if (exited) throw new Error(`broker exited during startup (${exited})${logTail(o)}`);
    if (Date.now() > deadline) {
      throw new Error(`broker not ready on ${HOST}:${o.port} after ${timeoutMs / 1000}s${logTail(o)}`);
    }
    await sleep(250);
  }
}

// ---------------------------------------------------------------------------------------------
// Lifecycle

function handle(o, pid, alreadyRunning) {
  return {
    brokers: `${HOST}:${o.port}`,
    pid,
    dataDir: o.dataDir,
    alreadyRunning,
    stop: () => stopBroker(o),
    kill: () => killBroker(o),
  };
}

async function startBroker(opts) {
  const o = resolveOptions(opts);
  const timeoutMs = opts?.timeoutMs ?? START_TIMEOUT_MS;
  await provision(o);
  fs.mkdirSync(o.dataDir, { recursive: true });
  return withLock(path.join(o.dataDir, 'start.lock'), timeoutMs + 30_000, async () => {
    const running = livePid(o);
    if (running) {
      await waitUntilReady(o, null, timeoutMs);
      return handle(o, running, true);
    }
    await assertPortsFree(o);
    writeConfig(o);
    await formatStorage(o);
    const child = spawnBroker(o);
    try {
      await waitUntilReady(o, child, timeoutMs);
    } catch (err) {
      await terminate(child.pid, o);
      throw err;
    }
    return handle(o, child.pid, false);
  });
}

// A just-killed broker can hold its sockets a moment after its pid is reaped, hence the grace period.
async function waitForPortsFree(o, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (const port of [o.port, o.controllerPort]) {
    while ((await portInUse(port)) && Date.now() < deadline) await sleep(100);
  }
}

async function assertPortsFree(o) {
  await waitForPortsFree(o, 5000);
  for (const port of [o.port, o.controllerPort]) {
    if (await portInUse(port)) {
      const what = (await isReady(HOST, port, 1000))
        ? 'another Kafka broker (not started from this data dir)'
        : 'another process';
      throw new Error(`port ${HOST}:${port} is already used by ${what}`);
    }
  }
}

function spawnBroker(o) {
  const out = fs.openSync(o.stdoutLog, 'a');
  try {
    // Detached with file stdio: the broker outlives the CLI and never blocks on a closed pipe.
    const child = spawn(javaBin(), brokerArgs(o), {
      cwd: o.dataDir,
      detached: true,
      stdio: ['ignore', out, out],
    });
    child.unref();
    fs.writeFileSync(o.pidFile, `${child.pid}\n`);
    return child;
  } finally {
    fs.closeSync(out);
  }
}

async function terminate(pid, o, timeoutMs = STOP_TIMEOUT_MS) {
  signal(pid, 'SIGTERM');
  if (!(await waitForExit(pid, timeoutMs))) {
    signal(pid, 'SIGKILL');
    await waitForExit(pid, 5000);
  }
  fs.rmSync(o.pidFile, { force: true });
  await waitForPortsFree(o, 5000);
}

function signal(pid, name) {
  try {
    process.kill(pid, name);
  } catch (err) {
    if (err.code !== 'ESRCH') throw err;
  }
}

async function stopBroker(opts) {
  const o = resolveOptions(opts);
  const pid = livePid(o);
  if (!pid) return { stopped: false, pid: 0 };
  await terminate(pid, o, opts?.timeoutMs ?? STOP_TIMEOUT_MS);
  return { stopped: true, pid };
}

async function killBroker(opts) {
  const o = resolveOptions(opts);
  const pid = livePid(o);
  if (!pid) return { killed: false, pid: 0 };
  signal(pid, 'SIGKILL');
  await waitForExit(pid, 5000);
  fs.rmSync(o.pidFile, { force: true });
  await waitForPortsFree(o, 5000);
  return { killed: true, pid };
}

async function brokerStatus(opts) {
  const o = resolveOptions(opts);
  const pid = livePid(o);
  const ready = pid ? await isReady(HOST, o.port, 2000) : false;
  return { running: Boolean(pid), ready, pid, brokers: `${HOST}:${o.port}`, dataDir: o.dataDir };
}

// ---------------------------------------------------------------------------------------------
// CLI

function usage() {
  return (
    'usage: node deploy/kafka/kafka-broker.js start|stop|kill|status|provision' +
    ' [--port N] [--controller-port N] [--data-dir DIR] [--partitions N] [--cache-dir DIR]'
  );
}

function parseArgs(argv) {
  const flags = {
    '--port': 'port',
    '--controller-port': 'controllerPort',
    '--data-dir': 'dataDir',
    '--partitions': 'partitions',
    '--cache-dir': 'cacheDir',
  };
  const [command, ...rest] = argv;
  const opts = {};
  for (let i = 0; i < rest.length; i++) {
    const [flag, inline] = rest[i].split(/=(.*)/s);
    const key = flags[flag];
    const value = inline ?? rest[++i];
    if (!key || value === undefined) throw new UsageError(`unknown or incomplete option: ${flag}`);
    opts[key] = value;
  }
  return { command, opts };
}

class UsageError extends Error {}

const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)}s`;

const commands = {
  async provision(opts) {
    const t0 = Date.now();
    const r = await provision(opts);
    console.log(
      `kafka ${r.version} ${r.cached ? 'already provisioned' : `provisioned in ${seconds(t0)}`}: ${r.libsDir}`,
    );
  },
  async start(opts) {
    const t0 = Date.now();
    const b = await startBroker(opts);
    const what = b.alreadyRunning ? 'already running' : `ready in ${seconds(t0)}`;
    console.log(`kafka ${what} at ${b.brokers} (pid ${b.pid}, data ${b.dataDir})`);
  },
  async stop(opts) {
    const t0 = Date.now();
    const r = await stopBroker(opts);
    console.log(r.stopped ? `kafka stopped (pid ${r.pid}) in ${seconds(t0)}` : 'kafka not running');
  },
  async kill(opts) {
    const r = await killBroker(opts);
    console.log(r.killed ? `kafka killed (pid ${r.pid})` : 'kafka not running');
  },
  async status(opts) {
    const s = await brokerStatus(opts);
    if (!s.running) {
      console.log(`kafka not running (${s.brokers}, data ${s.dataDir})`);
      return 3;
    }
    console.log(`kafka ${s.ready ? 'ready' : 'running but not answering'} at ${s.brokers} (pid ${s.pid})`);
    return s.ready ? 0 : 1;
  },
};

async function main(argv) {
  try {
    const { command, opts } = parseArgs(argv);
    if (!commands[command]) throw new UsageError(command ? `unknown command: ${command}` : 'missing command');
    return (await commands[command](opts)) ?? 0;
  } catch (err) {
    console.error(err instanceof UsageError ? `${err.message}\n${usage()}` : `kafka-broker: ${err.message}`);
    return err instanceof UsageError ? 2 : 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}

module.exports = { provision, startBroker, stopBroker, killBroker, brokerStatus, isReady };
