// Starts and stops a real `ledgerflow serve` for the Node.js end-to-end tests, mints its tokens
// and drives its REST API (the Node twin of tests/scripts/lf_server.py).
import { execFileSync, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const SECRET = 'node-end-to-end-test-secret';

// Small limits, so the limit tests reach them in a few hundred messages and a few seconds.
export const WEBSOCKET_TEST_LIMITS = {
  allowed_origins: ['http://allowed.example'],
  messages_per_second: 20,
  subscriptions_max: 3,
  connections_per_ip_max: 20,
  idle_timeout_ms: 1500,
  ping_interval_ms: 500,
  send_queue_frames_max: 64,
  behind_close_ms: 2000,
};

function binaryPath() {
  const binary = process.env.LEDGERFLOW_BIN;
  if (!binary)
    throw new Error('LEDGERFLOW_BIN must name the ledgerflow binary (ctest sets it)');
  return binary;
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function tomlValue(value) {
  if (Array.isArray(value))
    return '[' + value.map(tomlValue).join(', ') + ']';
  if (typeof value === 'string')
    return JSON.stringify(value);  // a JSON string is a valid TOML basic string for our values
  return String(value);
}

// {websocket: {a: 1}, storage: {sqlite: {b: 2}}} -> "[websocket]\na = 1\n[storage.sqlite]\nb = 2\n"
function tomlText(sections) {
  const lines = [];
  const walk = (prefix, table) => {
    const scalars = Object.entries(table).filter(([, v]) => typeof v !== 'object' || Array.isArray(v));
    const tables = Object.entries(table).filter(([, v]) => typeof v === 'object' && !Array.isArray(v));
    if (prefix && scalars.length)
      lines.push(`[${prefix}]`);
    for (const [key, value] of scalars)
      lines.push(`${key} = ${tomlValue(value)}`);
    for (const [key, value] of tables)
      walk(prefix ? `${prefix}.${key}` : key, value);
  };
  walk('', sections);
  return lines.join('\n') + '\n';
}

function base64url(data) {
  return Buffer.from(data).toString('base64url');
}

// A compact JWT built by hand, to test what `ledgerflow token` will never mint (expired, alg none,
// another key). With the right secret, alg HS256 and a future exp it is a valid token.
export function craftToken({ sub = 'crafted', role = 'user', accounts = [], exp, alg = 'HS256', secret = SECRET }) {
  const header = base64url(JSON.stringify({ alg, typ: 'JWT' }));
  const payload = base64url(JSON.stringify({ sub, role, accounts, exp }));
  const signingInput = `${header}.${payload}`;
  if (alg === 'none')
    return `${signingInput}.`;
  return `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
}

export function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}

export class LedgerflowServer {
  constructor({ websocket = {}, config = {} } = {}) {
    this.binary = binaryPath();
    this.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-ws-e2e-'));
    this.logPath = path.join(this.dataDir, 'serve.log');
    this.configPath = path.join(this.dataDir, 'ledgerflow.toml');
    this.env = { ...process.env, LEDGERFLOW_JWT_SECRET: SECRET };
    delete this.env.LEDGERFLOW_CONFIG;
    fs.writeFileSync(this.configPath, tomlText({
      ...config,
      websocket: { ...WEBSOCKET_TEST_LIMITS, ...websocket },
    }));
    this.process = null;
    this.exited = null;
    this.adminToken = null;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  }

  // Starts the server and waits for its `listening on 127.0.0.1:PORT` line.
  async start(timeoutMs = 30_000) {
    this.port = await freePort();
    const log = fs.openSync(this.logPath, 'a');
    this.process = spawn(this.binary,
      ['serve', '--config', this.configPath, '--listen', `127.0.0.1:${this.port}`, '--data-dir', this.dataDir],
      { env: this.env, stdio: ['ignore', log, log] });
    fs.closeSync(log);
    this.exited = new Promise((resolve) => this.process.once('exit', (code, signal) => resolve({ code, signal })));
    let exitedEarly = null;
    this.exited.then((how) => { exitedEarly = how; });
    const listening = new RegExp(`listening on 127\\.0\\.0\\.1:${this.port}\\b`);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (exitedEarly)
        throw new Error(`server exited (${JSON.stringify(exitedEarly)}) before listening:\n${this.log()}`);
      if (listening.test(this.log())) {
        this.adminToken = this.token({ sub: 'e2e-admin', role: 'admin' });
        return this;
      }
      await sleep(20);
    }
    throw new Error(`server did not log "listening on 127.0.0.1:${this.port}" within ${timeoutMs} ms:\n${this.log()}`);
  }

  get pid() {
    return this.process.pid;
  }

  log() {
    try {
      return fs.readFileSync(this.logPath, 'utf8');
    } catch {
      return '';
    }
  }

  logTail(lines = 40) {
    return this.log().trimEnd().split('\n').slice(-lines).join('\n');
  }

  // Resident memory of the server process, in KiB (Linux /proc).
  rssKiB() {
    const status = fs.readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    if (!match)
      throw new Error(`no VmRSS in /proc/${this.pid}/status`);
    return Number(match[1]);
  }

  wsUrl(query = '') {
    return `ws://127.0.0.1:${this.port}/v1/ws${query}`;
  }

  // `ledgerflow token`: the same secret as the server, so the token is valid unless `secret` differs.
  token({ sub, role = 'user', accounts = [], ttl, secret = SECRET }) {
    const args = ['token', '--sub', sub, '--role', role];
    for (const account of accounts)
      args.push('--account', account);
    if (ttl !== undefined)
      args.push('--ttl', String(ttl));
    return execFileSync(this.binary, args, {
      env: { ...this.env, LEDGERFLOW_JWT_SECRET: secret },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  }

  // One REST call over a keep-alive connection (node:http: several times the rate of fetch here).
  request(method, urlPath, { token = this.adminToken, body } = {}) {
    const payload = body === undefined ? '' : JSON.stringify(body);
    const headers = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) };
    if (token)
      headers.Authorization = `Bearer ${token}`;
    return new Promise((resolve, reject) => {
      const request = http.request({ host: '127.0.0.1', port: this.port, path: urlPath, method, headers, agent: this.agent },
        (response) => {
          const chunks = [];
          response.on('data', (chunk) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed = text;
            try {
              parsed = text ? JSON.parse(text) : null;
            } catch { /* keep the text */ }
            resolve({ status: response.statusCode, body: parsed });
          });
        });
      request.setTimeout(30_000, () => request.destroy(new Error(`${method} ${urlPath}: no answer within 30 s`)));
      request.on('error', reject);
      request.end(payload);
    });
  }

  // POST /v1/transfers as admin; returns the receipt (throws unless 201).
  async transfer(key, from, to, amount, bucket = 'banking/USD') {
    const { status, body } = await this.request('POST', '/v1/transfers', {
      body: { idempotency_key: key, from: { account: from, bucket }, to: { account: to, bucket }, amount },
    });
    if (status !== 201)
      throw new Error(`transfer ${key} ${from} -> ${to} ${amount}: HTTP ${status} ${JSON.stringify(body)}`);
    return body;
  }

  // `count` transfers of `amount` from `from` to `to`, `concurrency` in flight; keys `${prefix}-${i}`.
  // `onDone(i)` runs after each; returns the receipts in key order.
  async transfers({ prefix, from, to, amount, count, concurrency = 16, onDone = () => {} }) {
    const receipts = new Array(count);
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const i = next++;
        receipts[i] = await this.transfer(`${prefix}-${i}`, from, to, amount);
        onDone(i);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
    return receipts;
  }

  async account(id) {
    const { status, body } = await this.request('GET', `/v1/accounts/${id}`);
    if (status !== 200)
      throw new Error(`GET account ${id}: HTTP ${status} ${JSON.stringify(body)}`);
    return body;
  }

  // Every journal entry of the account after `afterSeq`, following the pages.
  async entries(id, afterSeq = 0) {
    const all = [];
    for (;;) {
      const { status, body } = await this.request('GET', `/v1/accounts/${id}/entries?after_seq=${afterSeq}&limit=1000`);
      if (status !== 200)
        throw new Error(`GET entries ${id}: HTTP ${status} ${JSON.stringify(body)}`);
      if (body.entries.length === 0)
        return all;
      all.push(...body.entries);
      afterSeq = body.next_after_seq;
    }
  }

  async stop() {
    this.agent.destroy();
    if (!this.process)
      return;
    if (this.process.exitCode === null && this.process.signalCode === null) {
      this.process.kill('SIGTERM');
      const killed = await Promise.race([this.exited, sleep(15_000).then(() => null)]);
      if (!killed) {
        this.process.kill('SIGKILL');
        await this.exited;
      }
    }
    fs.rmSync(this.dataDir, { recursive: true, force: true });
    this.process = null;
  }
}
