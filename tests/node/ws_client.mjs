// A `ws` client of /v1/ws that keeps every frame it receives, decoded, so a test can wait for
// the one it expects (with a deadline) and then look at all of them.
import { decode, encode } from '@msgpack/msgpack';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';

export const MSGPACK_PROTOCOL = 'ledgerflow.v1.msgpack';
export const JSON_PROTOCOL = 'ledgerflow.v1.json';

// Polls `check` until it returns something other than undefined/false; throws after timeoutMs
// with `what` and `describe()` (the frames seen) so a failure says what was missing.
export async function until(check, what, { timeoutMs = 10_000, describe = () => '' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false)
      return value;
    if (Date.now() >= deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${describe()}`);
    await sleep(10);
  }
}

// The server refused the upgrade with an HTTP answer (never a 101).
export class UpgradeRefused extends Error {
  constructor(status, body) {
    super(`upgrade refused: HTTP ${status} ${typeof body === 'string' ? body : JSON.stringify(body)}`);
    this.status = status;
    this.body = body;
  }
}

function parseBody(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export class StreamClient {
  constructor(ws) {
    this.ws = ws;
    this.frames = [];         // decoded objects, in arrival order
    this.binaryFrames = 0;    // how many arrived as binary frames
    this.textFrames = 0;
    this.undecodable = [];    // raw frames that were neither JSON nor msgpack
    this.pings = 0;           // WebSocket ping control frames from the server
    this.closeInfo = null;    // {code, reason} once closed
    this.msgpack = ws.protocol === MSGPACK_PROTOCOL;
    ws.on('message', (data, isBinary) => this.#receive(data, isBinary));
    ws.on('ping', () => { this.pings += 1; });
    ws.on('close', (code, reason) => { this.closeInfo = { code, reason: reason.toString() }; });
    ws.on('error', (error) => { this.lastError = error; });
  }

  // Opens a connection; resolves once it is open (101), rejects with UpgradeRefused when the
  // server answers the upgrade with an HTTP status, or with the socket's error.
  // `token` goes in the Authorization header; `query` (e.g. '?access_token=...') in the URL.
  static connect(server, { token, query = '', protocols, origin, headers = {}, autoPong = true } = {}) {
    const allHeaders = { ...headers };
    if (token)
      allHeaders.Authorization = `Bearer ${token}`;
    const ws = new WebSocket(server.wsUrl(query), protocols, {
      headers: allHeaders, origin, autoPong, handshakeTimeout: 10_000, perMessageDeflate: false,
    });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new StreamClient(ws)));
      ws.once('unexpected-response', (request, response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => {
          reject(new UpgradeRefused(response.statusCode, parseBody(Buffer.concat(chunks).toString('utf8'))));
          request.destroy();
        });
      });
      ws.on('error', (error) => reject(error));  // ignored once settled
    });
  }

  // Resolves with the refusal of an upgrade that must fail; an open connection is a failure.
  static async refusal(server, options) {
    try {
      const client = await StreamClient.connect(server, options);
      client.terminate();
      return { status: 101, body: null };
    } catch (error) {
      if (error instanceof UpgradeRefused)
        return { status: error.status, body: error.body };
      throw error;
    }
  }

  #receive(data, isBinary) {
    if (isBinary)
      this.binaryFrames += 1;
    else
      this.textFrames += 1;
    try {
      this.frames.push(isBinary ? decode(data) : JSON.parse(data.toString('utf8')));
    } catch {
      this.undecodable.push(data);
    }
  }

  // A request object, as JSON text, or as a msgpack binary frame in msgpack mode.
  send(message) {
    if (this.msgpack)
      this.ws.send(encode(message), { binary: true });
    else
      this.ws.send(JSON.stringify(message), { binary: false });
  }

  sendRaw(data, { binary }) {
    this.ws.send(data, { binary });
  }

  get open() {
    return this.ws.readyState === WebSocket.OPEN;
  }

  describe() {
    const last = this.frames.slice(-8).map((frame) => JSON.stringify(frame)).join('\n  ');
    return `\n  frames received: ${this.frames.length}, undecodable: ${this.undecodable.length},`
      + ` closed: ${JSON.stringify(this.closeInfo)}\n  last frames:\n  ${last}`;
  }

  // The first frame matching `predicate` (among all received so far or still to come).
  waitFor(predicate, what, timeoutMs = 10_000) {
    return until(() => this.frames.find(predicate), what, { timeoutMs, describe: () => this.describe() });
  }

  // The answer to the request with this id: its `subscribed`/`unsubscribed`/`pong`/`error` frame.
  answer(id, timeoutMs = 10_000) {
    return this.waitFor((frame) => frame.id === id && frame.type !== 'balance', `the answer to request "${id}"`, timeoutMs);
  }

  async request(message, timeoutMs = 10_000) {
    this.send(message);
    return this.answer(message.id, timeoutMs);
  }

  async ping(id, timeoutMs = 10_000) {
    return this.request({ op: 'ping', id }, timeoutMs);
  }

  // Resolves with {code, reason} once the server closed (or the socket died: code 1006).
  closed(timeoutMs = 10_000) {
    return until(() => this.closeInfo ?? undefined, 'the connection to close',
      { timeoutMs, describe: () => this.describe() });
  }

  balances(account) {
    return this.frames.filter((frame) => frame.type === 'balance' && (account === undefined || frame.account === account));
  }

  pauseReading() {
    this.ws._socket.pause();
  }

  resumeReading() {
    this.ws._socket.resume();
  }

  terminate() {
    this.ws.terminate();
  }
}
