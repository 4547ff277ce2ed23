// The baseline of `ledgerflow bench push`: a plain Node.js `ws` broadcast server, the way the
// platform pushed balances before ledgerflow (Node + ws/Socket.IO). It connects to ledgerflow's
// /v1/ws as one admin client subscribed to every bench account and re-broadcasts each balance
// event, unchanged, to its own clients subscribed to that account. Its clients speak the same
// protocol as ledgerflow's (docs/websocket.md: subscribe/unsubscribe/ping, JSON text frames),
// so the bench runs the very same client workload against both.
//
// Plain means what a Node service would ordinarily do: one process, JSON.parse of each
// upstream event to find its account, then ws.send of the received bytes to each subscriber
// (no re-serialisation per client, no per-client encoding, no worker threads, no
// backpressure policy: ws buffers what a slow client has not taken).
//
// usage: node ws_broadcast_server.mjs --upstream ws://127.0.0.1:8080/v1/ws --token JWT
//             --accounts user:a,user:b --port 9000 [--host 127.0.0.1]
// Prints `listening on HOST:PORT` once the upstream subscription is confirmed and it accepts
// clients. `ws` is looked up through NODE_PATH as well (the bench points it at node_modules).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
let WebSocket, WebSocketServer;
try {
  ({ WebSocket, WebSocketServer } = require('ws'));
} catch (failure) {
  console.error(`cannot load the ws package (${failure.code}): install tests/node's packages ` +
                `(scripts/install-node-deps.sh) or point NODE_PATH at a node_modules holding ws`);
  process.exit(1);
}

function parseArguments(argv) {
  const options = { host: '127.0.0.1' };
  for (let index = 0; index < argv.length; index += 2) {
    const name = argv[index].replace(/^--/, '');
    options[name] = argv[index + 1];
  }
  for (const required of ['upstream', 'token', 'accounts', 'port'])
    if (!options[required]) {
      console.error(`missing --${required}`);
      process.exit(2);
    }
  options.accounts = options.accounts.split(',').filter((account) => account.length > 0);
  options.port = Number(options.port);
  return options;
}

function wsVersion() {
  try {
    return JSON.parse(readFileSync(join(dirname(require.resolve('ws')), 'package.json'), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

const options = parseArguments(process.argv.slice(2));
const upstreamAccounts = new Set(options.accounts);
const subscribers = new Map();  // account -> Set of client sockets
const latestSeq = new Map();    // account -> last seq seen upstream (answers `subscribed` with it)
let server = null;

function accountOf(item) {
  return typeof item === 'string' ? item : item && typeof item.account === 'string' ? item.account : null;
}

function answerError(client, id, code, message) {
  client.send(JSON.stringify({ type: 'error', id, code, message }));
}

function subscribe(client, request) {
  if (!Array.isArray(request.accounts))
    return answerError(client, request.id, 'bad_request', 'accounts must be an array');
  const answered = [];
  for (const item of request.accounts) {
    const account = accountOf(item);
    if (account === null || !upstreamAccounts.has(account))
      return answerError(client, request.id, 'forbidden', `not relayed: ${account}`);
    answered.push(account);
  }
  for (const account of answered) {
    client.accounts.add(account);
    subscribers.get(account).add(client);
  }
  client.send(JSON.stringify({
    type: 'subscribed', id: request.id,
    accounts: answered.map((account) => ({ account, seq: latestSeq.get(account) ?? 0 })),
  }));
}

function unsubscribe(client, request) {
  const accounts = Array.isArray(request.accounts) ? request.accounts.map(accountOf).filter(Boolean) : [];
  for (const account of accounts) {
    client.accounts.delete(account);
    subscribers.get(account)?.delete(client);
  }
  client.send(JSON.stringify({ type: 'unsubscribed', id: request.id, accounts }));
}

function onClientMessage(client, data, isBinary) {
  let request;
  try {
    request = JSON.parse(isBinary ? data : data.toString());
  } catch {
    return answerError(client, undefined, 'bad_request', 'not JSON');
  }
  if (request.op === 'subscribe')
    return subscribe(client, request);
  if (request.op === 'unsubscribe')
    return unsubscribe(client, request);
  if (request.op === 'ping')
    return client.send(JSON.stringify({ type: 'pong', id: request.id }));
  answerError(client, request.id, 'bad_request', 'unknown op');
}

function startServer() {
  for (const account of options.accounts)
    subscribers.set(account, new Set());
  server = new WebSocketServer({ host: options.host, port: options.port, perMessageDeflate: false,
                                 maxPayload: 65536 });
  server.on('connection', (client) => {
    client.accounts = new Set();
    client.on('message', (data, isBinary) => onClientMessage(client, data, isBinary));
    client.on('close', () => {
      for (const account of client.accounts)
        subscribers.get(account)?.delete(client);
    });
    client.on('error', () => {});
  });
  server.on('listening', () => {
    console.log(`node ${process.version}, ws ${wsVersion()}`);
    console.log(`listening on ${options.host}:${options.port}`);
  });
  server.on('error', (failure) => {
    console.error(`cannot listen: ${failure.message}`);
    process.exit(1);
  });
}

// Each upstream event is parsed once (to learn its account) and its bytes sent as a text frame
// to every subscriber of that account.
function onUpstreamMessage(data) {
  const event = JSON.parse(data.toString());
  if (event.type === 'balance') {
    latestSeq.set(event.account, event.seq);
    const clients = subscribers.get(event.account);
    if (clients)
      for (const client of clients)
        client.send(data, { binary: false });
  } else if (event.type === 'subscribed') {
    for (const item of event.accounts)
      latestSeq.set(item.account, item.seq);
    if (server === null)
      startServer();
  } else if (event.type === 'error') {
    console.error(`upstream error: ${data.toString()}`);
    process.exit(1);
  }
}

const upstream = new WebSocket(options.upstream, { headers: { Authorization: `Bearer ${options.token}` },
                                                   perMessageDeflate: false });
upstream.on('open', () => {
  upstream.send(JSON.stringify({ op: 'subscribe', id: 'relay', accounts: options.accounts }));
});
upstream.on('message', onUpstreamMessage);
upstream.on('unexpected-response', (request, response) => {
  console.error(`upstream refused the upgrade: HTTP ${response.statusCode}`);
  process.exit(1);
});
upstream.on('error', (failure) => {
  console.error(`upstream: ${failure.message}`);
  process.exit(1);
});
upstream.on('close', (code, reason) => {
  console.error(`upstream closed: ${code} ${reason.toString()}`);
  process.exit(1);
});
process.on('SIGTERM', () => process.exit(0));
