#!/usr/bin/env node
'use strict';
// Provisions (Debian's prometheus-alertmanager package) and runs a single, non-clustered
// Alertmanager on loopback, without Docker, the way deploy/kafka/kafka-broker.js runs Kafka.
// Module API: provision, findBinary, startAlertmanager, stopAlertmanager, alertmanagerStatus,
// isReady, renderConfig. CLI: see usage().

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const HOST = '127.0.0.1';
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
// Not upstream's 9093: the Kafka broker of `npm start` has its controller listener there (9092 + 1).
const DEFAULT_PORT = 9095;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const PACKAGE = 'prometheus-alertmanager';
// Debian installs the binary as prometheus-alertmanager; upstream tarballs call it alertmanager.
const BINARY_NAMES = ['prometheus-alertmanager', 'alertmanager'];
const BINARY_DIRS = ['/usr/bin', '/usr/local/bin', '/usr/sbin'];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Options

function resolveOptions(opts = {}) {
  const port = toPort(opts.port ?? process.env.ALERTMANAGER_PORT ?? DEFAULT_PORT, 'port');
  const cacheDir = path.resolve(opts.cacheDir ?? path.join(PROJECT_ROOT, '.cache', 'alertmanager'));
  const dir = path.join(cacheDir, String(port));
  const webhookUrl = opts.webhookUrl ?? process.env.ALERTMANAGER_WEBHOOK_URL ?? '';
  const fast = opts.fast ?? process.env.ALERTMANAGER_FAST === '1';
  if (webhookUrl && !/^https?:\/\//.test(webhookUrl)) throw new Error(`invalid webhook URL: ${webhookUrl}`);
  return {
    port,
    webhookUrl,
    fast: Boolean(fast),
    dir,
    configFile: path.join(dir, 'alertmanager.yml'),
    storageDir: path.join(dir, 'data'),
    pidFile: path.join(dir, 'alertmanager.pid'),
    logFile: path.join(dir, 'alertmanager.log'),
    url: `http://${HOST}:${port}`,
  };
}

function toPort(value, name) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`invalid ${name}: ${value}`);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Provisioning: the Debian package, installed with apt-get when we are root.

function findBinary() {
  const pinned = process.env.ALERTMANAGER_BIN;
  if (pinned) return isExecutable(pinned) ? pinned : null;
  const dirs = [...BINARY_DIRS, ...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean)];
  for (const name of BINARY_NAMES) {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      if (isExecutable(candidate)) return candidate;
    }
  }
  return null;
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function binaryVersion(bin) {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  const match = /version\s+([0-9][^\s(]*)/.exec(out);
  return match ? match[1] : 'unknown';
}

async function provision() {
  const pinned = process.env.ALERTMANAGER_BIN;
  if (pinned && !isExecutable(pinned))
    throw new Error(`ALERTMANAGER_BIN=${pinned} is not an executable file`);
  const existing = findBinary();
  if (existing) return { binary: existing, version: binaryVersion(existing), cached: true };
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    throw new Error(
      `Alertmanager not found (looked for ${BINARY_NAMES.join(', ')}); install it with: ` +
        `sudo apt-get install -y ${PACKAGE}  (or set ALERTMANAGER_BIN to its path)`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await run('apt-get', ['install', '-y', '--no-install-recommends', PACKAGE], env);
  } catch (first) {
    // A fresh machine may have no package lists yet.
    await run('apt-get', ['update'], env).catch(() => undefined);
    try {
      await run('apt-get', ['install', '-y', '--no-install-recommends', PACKAGE], env);
    } catch (second) {
      throw new Error(
        `apt-get install -y ${PACKAGE} failed: ${second.message}\n(first try: ${first.message})`,
      );
    }
  }
  stopPackagedService();
  const binary = findBinary();
  if (!binary)
    throw new Error(`apt-get installed ${PACKAGE} but no ${BINARY_NAMES.join('/')} binary was found`);
  return { binary, version: binaryVersion(binary), cached: false };
}

// The package may start a system service on :9093 where systemd or invoke-rc.d runs; ours are
// started by this script on their own ports, so the packaged one is stopped if it came up.
function stopPackagedService() {
  for (const [cmd, args] of [
    ['systemctl', ['disable', '--now', PACKAGE]],
    ['service', [PACKAGE, 'stop']],
  ]) {
    spawnSync(cmd, args, { stdio: 'ignore', timeout: 20_000 });
  }
}

function run(cmd, args, env = process.env) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (err) => reject(new Error(`cannot run ${cmd}: ${err.message}`)));
    child.on('exit', (code, signal) => {
      if (code === 0) resolve(output);
      else
        reject(
          new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${tail(output, 30)}`),
        );
    });
  });
}

function tail(text, lines) {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

// ---------------------------------------------------------------------------------------------
// Configuration

// JSON is valid YAML, so the config is written as JSON: no YAML quoting rules to get wrong.
function renderConfig(o) {
  const timing = o.fast
    ? { group_wait: '1s', group_interval: '1s', repeat_interval: '1h' }
    : { group_wait: '30s', group_interval: '5m', repeat_interval: '4h' };
  const receiver = o.webhookUrl
    ? { name: 'webhook', webhook_configs: [{ url: o.webhookUrl, send_resolved: true, max_alerts: 0 }] }
    : { name: 'null' };
  const config = {
    global: { resolve_timeout: '5m' },
    route: { receiver: receiver.name, group_by: ['alertname'], ...timing },
    receivers: [receiver],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

function amArgs(o) {
  return [
    `--config.file=${o.configFile}`,
    `--storage.path=${o.storageDir}`,
    `--web.listen-address=${HOST}:${o.port}`,
    `--web.external-url=${o.url}`,
    // Empty: no gossip cluster, so nothing listens on 9094 and instances never meet.
    '--cluster.listen-address=',
    '--log.level=info',
  ];
}

// ---------------------------------------------------------------------------------------------
// Process

function readText(file) {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

function livePid(o) {
  const pid = Number(readText(o.pidFile));
  return pid > 0 && isAlive(pid) ? pid : 0;
}

function httpGet(url, timeoutMs) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

async function isReady(port = DEFAULT_PORT, timeoutMs = 1000) {
  return (await httpGet(`http://${HOST}:${port}/-/ready`, timeoutMs)) === 200;
}

async function waitForExit(pid, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

function signal(pid, name) {
  try {
    process.kill(pid, name);
  } catch (err) {
    if (err.code !== 'ESRCH') throw err;
  }
}

async function startAlertmanager(opts = {}) {
  const o = resolveOptions(opts);
  const { binary, version } = await provision();
  fs.mkdirSync(o.storageDir, { recursive: true });
  fs.writeFileSync(o.configFile, renderConfig(o));
  const running = livePid(o);
  if (running) {
    // Same port, maybe a new receiver: restart so the written config is the one in force.
    await terminate(running, o);
  }
  if (await httpGet(`${o.url}/-/ready`, 1000)) throw new Error(`port ${HOST}:${o.port} is already in use`);
  const child = spawnAm(binary, o);
  const exited = new Promise((resolve) => child.once('exit', (code, sig) => resolve(sig ?? `exit ${code}`)));
  const deadline = Date.now() + (opts.timeoutMs ?? START_TIMEOUT_MS);
  for (;;) {
    if (await isReady(o.port, 1000)) break;
    const gone = await Promise.race([exited, sleep(200).then(() => null)]);
    if (gone || Date.now() > deadline) {
      if (!gone) await terminate(child.pid, o);
      throw new Error(
        `alertmanager ${gone ? `exited (${gone})` : 'not ready in time'} on ${o.url}; ` +
          `log ${o.logFile}:\n${tail(readText(o.logFile), 20)}`,
      );
    }
  }
  child.removeAllListeners('exit');
  child.unref();
  return {
    url: o.url,
    port: o.port,
    pid: child.pid,
    binary,
    version,
    dir: o.dir,
    configFile: o.configFile,
    logFile: o.logFile,
    stop: () => stopAlertmanager({ port: o.port, cacheDir: opts.cacheDir }).then(() => undefined),
  };
}

function spawnAm(binary, o) {
  const out = fs.openSync(o.logFile, 'a');
  try {
    // Detached with file stdio: it outlives the CLI and never blocks on a closed pipe.
    const child = spawn(binary, amArgs(o), { cwd: o.dir, detached: true, stdio: ['ignore', out, out] });
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
}

// Accepts a port number or options ({ port, cacheDir }).
async function stopAlertmanager(portOrOpts) {
  const opts = typeof portOrOpts === 'object' && portOrOpts !== null ? portOrOpts : { port: portOrOpts };
  const o = resolveOptions(opts);
  const pid = livePid(o);
  if (!pid) return { stopped: false, pid: 0 };
  await terminate(pid, o);
  return { stopped: true, pid };
}

async function alertmanagerStatus(opts = {}) {
  const o = resolveOptions(opts);
  const pid = livePid(o);
  const ready = pid ? await isReady(o.port, 2000) : false;
  return { running: Boolean(pid), ready, pid, url: o.url, dir: o.dir };
}

// ---------------------------------------------------------------------------------------------
// CLI

function usage() {
  return (
    'usage: node deploy/alertmanager/alertmanager.js start|stop|status|provision' +
    ' [--port N] [--webhook-url URL] [--fast] [--cache-dir DIR]\n' +
    'env: ALERTMANAGER_PORT (9095), ALERTMANAGER_WEBHOOK_URL, ALERTMANAGER_FAST=1, ALERTMANAGER_BIN'
  );
}

class UsageError extends Error {}

function parseArgs(argv) {
  const flags = { '--port': 'port', '--webhook-url': 'webhookUrl', '--cache-dir': 'cacheDir' };
  const [command, ...rest] = argv;
  const opts = {};
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--fast') {
      opts.fast = true;
      continue;
    }
    const [flag, inline] = rest[i].split(/=(.*)/s);
    const key = flags[flag];
    const value = inline ?? rest[++i];
    if (!key || value === undefined) throw new UsageError(`unknown or incomplete option: ${flag}`);
    opts[key] = value;
  }
  return { command, opts };
}

const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)}s`;

const commands = {
  async provision() {
    const t0 = Date.now();
    const r = await provision();
    console.log(
      `alertmanager ${r.version} ${r.cached ? 'already installed' : `installed in ${seconds(t0)}`}: ${r.binary}`,
    );
  },
  async start(opts) {
    const t0 = Date.now();
    const am = await startAlertmanager(opts);
    const receiver = resolveOptions(opts).webhookUrl || 'null receiver';
    console.log(
      `alertmanager ${am.version} ready in ${seconds(t0)} at ${am.url} (pid ${am.pid}, routes to ${receiver}, ` +
        `config ${am.configFile}, log ${am.logFile})`,
    );
  },
  async stop(opts) {
    const t0 = Date.now();
    const r = await stopAlertmanager(opts);
    console.log(
      r.stopped ? `alertmanager stopped (pid ${r.pid}) in ${seconds(t0)}` : 'alertmanager not running',
    );
  },
  async status(opts) {
    const s = await alertmanagerStatus(opts);
    if (!s.running) {
      console.log(`alertmanager not running (${s.url}, dir ${s.dir})`);
      return 3;
    }
    console.log(`alertmanager ${s.ready ? 'ready' : 'running but not ready'} at ${s.url} (pid ${s.pid})`);
    return s.ready ? 0 : 1;
  },
};

async function main(argv) {
  try {
    const { command, opts } = parseArgs(argv);
    if (!commands[command]) throw new UsageError(command ? `unknown command: ${command}` : 'missing command');
    return (await commands[command](opts)) ?? 0;
  } catch (err) {
    console.error(err instanceof UsageError ? `${err.message}\n${usage()}` : `alertmanager: ${err.message}`);
    return err instanceof UsageError ? 2 : 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}

module.exports = {
  provision,
  findBinary,
  startAlertmanager,
  stopAlertmanager,
  alertmanagerStatus,
  isReady,
  renderConfig: (opts) => renderConfig(resolveOptions(opts)),
};
