// /v1/ws end to end (docs/websocket.md): real `ws` clients against a real `ledgerflow serve`.
// Each test starts its own server (small [websocket] limits, see lf_server.mjs), so limits and
// counters of one test never leak into another. Run: LEDGERFLOW_BIN=build/ledgerflow node --test
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { encode } from '@msgpack/msgpack';

import { LedgerflowServer, WEBSOCKET_TEST_LIMITS, craftToken, nowSeconds } from './lf_server.mjs';
import { JSON_PROTOCOL, MSGPACK_PROTOCOL, StreamClient, until } from './ws_client.mjs';

const TEST_TIMEOUT_MS = 30_000;
const USD = 'banking/USD';
const MiB = 1024;  // in KiB, as /proc reports RSS

// Runs body(server, connect) against a fresh server; afterwards closes every client and stops
// the server. A failure carries the end of the server's log.
async function withServer(options, body) {
  const server = await new LedgerflowServer(options).start();
  const clients = [];
  const connect = async (connectOptions) => {
    const client = await StreamClient.connect(server, connectOptions);
    clients.push(client);
    return client;
  };
  try {
    await body(server, connect);
  } catch (error) {
    error.message += `\n--- server log (last lines) ---\n${server.logTail()}`;
    throw error;
  } finally {
    for (const client of clients)
      client.terminate();
    await server.stop();
  }
}

function pick(object, keys) {
  return Object.fromEntries(keys.filter((key) => key in object).map((key) => [key, object[key]]));
}

function range(first, last) {
  return Array.from({ length: Math.max(0, last - first + 1) }, (_, i) => first + i);
}

// RFC 3339 UTC with microseconds, as the server writes `ts`, to unix microseconds.
function timestampMicros(ts) {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})Z$/.exec(ts);
  assert.ok(match, `ts ${ts} is not RFC 3339 UTC with microseconds`);
  return Date.parse(`${match[1]}Z`) * 1000 + Number(match[2]);
}

// The fields of a balance event that the journal entry of the same seq determines.
function eventFromEntry(account, entry) {
  return {
    type: 'balance', account, bucket: entry.bucket, available: entry.available_after, held: entry.held_after,
    seq: entry.seq, cause: entry.cause, ts: entry.ts,
  };
}

const EVENT_KEYS = ['type', 'account', 'bucket', 'available', 'held', 'seq', 'cause', 'ts'];

async function subscribe(client, id, accounts) {
  const answer = await client.request({ op: 'subscribe', id, accounts });
  assert.equal(answer.type, 'subscribed', `subscribe ${id}: ${JSON.stringify(answer)}`);
  return answer;
}

function tamperSignature(token) {
  const [header, payload, signature] = token.split('.');
  const first = signature[0] === 'A' ? 'B' : 'A';  // the first character: all 6 of its bits count
  return `${header}.${payload}.${first}${signature.slice(1)}`;
}

test('live push: a transfer gives one balance event on each side, with its amounts, seq and cause',
  { timeout: TEST_TIMEOUT_MS }, () => withServer({}, async (server, connect) => {
    await server.transfer('fund-alice', 'system:bank', 'user:alice', '100.00');
    const alice = await connect({ token: server.token({ sub: 'alice', accounts: ['user:alice'] }) });
    const admin = await connect({ token: server.adminToken });

    const subscribed = await subscribe(alice, 's1', ['user:alice']);
    assert.equal(subscribed.id, 's1');
    assert.equal(subscribed.accounts.length, 1);
    assert.deepEqual(pick(subscribed.accounts[0], ['account', 'seq']), { account: 'user:alice', seq: 1 });
    assert.deepEqual(subscribed.accounts[0].balances.map((b) => pick(b, ['bucket', 'available', 'held'])),
      [{ bucket: USD, available: '100.00', held: '0.00' }]);
    const adminSubscribed = await subscribe(admin, 's2', [{ account: 'system:bank' }, 'user:alice']);
    assert.deepEqual(adminSubscribed.accounts.map((a) => pick(a, ['account', 'seq'])),
      [{ account: 'system:bank', seq: 1 }, { account: 'user:alice', seq: 1 }]);

    const receipt = await server.transfer('t1', 'system:bank', 'user:alice', '12.34');
    const second = await server.transfer('t2', 'system:bank', 'user:alice', '0.66');
    await alice.waitFor((f) => f.type === 'balance' && f.seq === second.to.seq, 'alice\'s second event');
    await admin.waitFor((f) => f.type === 'balance' && f.account === 'user:alice' && f.seq === second.to.seq,
      'the admin\'s second alice event');
    await admin.waitFor((f) => f.type === 'balance' && f.account === 'system:bank' && f.seq === second.from.seq,
      'the admin\'s second bank event');
    await alice.ping('after');
    await admin.ping('after');

    const aliceEntries = await server.entries('user:alice', 1);
    const bankEntries = await server.entries('system:bank', 1);
    const expectedAlice = aliceEntries.map((entry) => eventFromEntry('user:alice', entry));
    const expectedBank = bankEntries.map((entry) => eventFromEntry('system:bank', entry));
    assert.deepEqual(expectedAlice.map((e) => [e.seq, e.available, e.held, e.cause]), [
      [receipt.to.seq, '112.34', '0.00', { kind: 'transfer', id: receipt.transfer_id }],
      [second.to.seq, '113.00', '0.00', { kind: 'transfer', id: second.transfer_id }],
    ]);
    assert.deepEqual(expectedBank.map((e) => [e.seq, e.available, e.held, e.cause]), [
      [receipt.from.seq, '-112.34', '0.00', { kind: 'transfer', id: receipt.transfer_id }],
      [second.from.seq, '-113.00', '0.00', { kind: 'transfer', id: second.transfer_id }],
    ]);
    // Exactly one event per journal entry and side, nothing else, nothing from accounts not asked for.
    assert.deepEqual(alice.balances().map((e) => pick(e, EVENT_KEYS)), expectedAlice);
    assert.deepEqual(admin.balances('user:alice').map((e) => pick(e, EVENT_KEYS)), expectedAlice);
    assert.deepEqual(admin.balances('system:bank').map((e) => pick(e, EVENT_KEYS)), expectedBank);
    assert.equal(admin.balances().length, 4);
    const receivedMicros = Date.now() * 1000 + 1000;  // ms clock: round up
    for (const event of [...alice.balances(), ...admin.balances()]) {
      assert.equal(event.coalesced, undefined, `not behind, yet coalesced: ${JSON.stringify(event)}`);
      assert.ok(Number.isInteger(event.durable_us), `durable_us: ${JSON.stringify(event)}`);
      assert.ok(event.durable_us >= timestampMicros(event.ts) && event.durable_us <= receivedMicros,
        `durable_us not between the entry's time and its arrival: ${JSON.stringify(event)}`);
    }

    const unsubscribed = await alice.request({ op: 'unsubscribe', id: 'u1', accounts: ['user:alice'] });
    assert.deepEqual(pick(unsubscribed, ['type', 'id', 'accounts']),
      { type: 'unsubscribed', id: 'u1', accounts: ['user:alice'] });
    const third = await server.transfer('t3', 'system:bank', 'user:alice', '1.00');
    await admin.waitFor((f) => f.type === 'balance' && f.account === 'user:alice' && f.seq === third.to.seq,
      'the admin\'s third alice event');
    await alice.ping('after-unsubscribe');
    assert.equal(alice.balances().length, 2, `events after unsubscribing:${alice.describe()}`);
  }));

test('resume with since_seq while the account is written: every seq exactly once, in order, as the journal has it',
  { timeout: TEST_TIMEOUT_MS }, () => withServer({}, async (server, connect) => {
    const account = 'user:bob';
    await server.transfers({ prefix: 'before', from: 'system:bank', to: account, amount: '1.00', count: 50 });
    let done = 0;
    const stream = server.transfers({
      prefix: 'during', from: 'system:bank', to: account, amount: '0.01', count: 2000, concurrency: 8,
      onDone: () => { done += 1; },
    });
    let client;
    let since;
    try {
      await until(() => done >= 300, '300 transfers of the stream');
      const mid = (await server.account(account)).seq;
      since = mid - 25;  // some changes replayed from the journal, then live ones
      client = await connect({ token: server.adminToken });
      const subscribed = await subscribe(client, 'resume', [{ account, since_seq: since }]);
      assert.deepEqual(subscribed.accounts.map((a) => pick(a, ['account', 'seq'])), [{ account, seq: since }]);
    } finally {
      await stream.catch(() => {});  // a failure above must not leave requests running into the stop
    }
    await stream;
    const last = (await server.account(account)).seq;
    assert.equal(last, 2050);
    await client.waitFor((f) => f.type === 'balance' && f.seq === last, `the event of seq ${last}`, 20_000);
    await client.ping('flush');

    const subscribedAt = client.frames.findIndex((f) => f.type === 'subscribed');
    const firstEventAt = client.frames.findIndex((f) => f.type === 'balance');
    assert.ok(subscribedAt < firstEventAt, 'a balance event came before the subscribed answer');
    const events = client.balances(account);
    assert.deepEqual(events.map((e) => e.seq), range(since + 1, last), 'seqs are not exactly since+1..last');
    const expected = (await server.entries(account, since)).map((entry) => eventFromEntry(account, entry));
    assert.deepEqual(events.map((e) => pick(e, EVENT_KEYS)), expected);
    assert.ok(events.every((e) => e.coalesced === undefined), 'coalesced events while keeping up');
  }));

test('msgpack subprotocol: binary frames decode to the same objects as the JSON stream',
  { timeout: TEST_TIMEOUT_MS }, () => withServer({}, async (server, connect) => {
    await server.transfer('fund-carol', 'system:bank', 'user:carol', '5.00');
    const packed = await connect({ token: server.adminToken, protocols: [MSGPACK_PROTOCOL] });
    const json = await connect({ token: server.adminToken, protocols: [JSON_PROTOCOL] });
    const plain = await connect({ token: server.adminToken });
    assert.equal(packed.ws.protocol, MSGPACK_PROTOCOL);
    assert.equal(json.ws.protocol, JSON_PROTOCOL);
    assert.equal(plain.ws.protocol, '');

    const packedSubscribed = await subscribe(packed, 's', ['user:carol']);
    const jsonSubscribed = await subscribe(json, 's', ['user:carol']);
    assert.deepEqual(packedSubscribed, jsonSubscribed);
    assert.equal(typeof packedSubscribed.accounts[0].balances[0].available, 'string');

    const receipts = await server.transfers({ prefix: 'carol', from: 'system:bank', to: 'user:carol', amount: '0.25', count: 5 });
    const last = Math.max(...receipts.map((r) => r.to.seq));
    await packed.waitFor((f) => f.type === 'balance' && f.seq === last, `msgpack event seq ${last}`);
    await json.waitFor((f) => f.type === 'balance' && f.seq === last, `JSON event seq ${last}`);
    assert.equal(packed.balances().length, 5);
    assert.deepEqual(packed.balances(), json.balances());
    assert.ok(packed.balances().every((e) => typeof e.available === 'string' && typeof e.held === 'string'),
      'amounts must stay decimal strings in msgpack');

    const pong = await packed.ping('p1');
    assert.deepEqual(pick(pong, ['type', 'id']), { type: 'pong', id: 'p1' });
    packed.sendRaw(JSON.stringify({ op: 'ping', id: 'as-text' }), { binary: false });  // JSON text is always accepted
    await packed.answer('as-text');
    assert.equal(packed.textFrames, 0, 'a text frame in msgpack mode');
    assert.equal(packed.undecodable.length, 0);
    assert.equal(packed.binaryFrames, packed.frames.length);
    assert.equal(json.binaryFrames, 0, 'a binary frame in JSON mode');
  }));

test('upgrade refused with 401: no token, expired, wrong signature, alg none, another key, malformed',
  { timeout: TEST_TIMEOUT_MS }, () => withServer({}, async (server) => {
    const claims = { sub: 'alice', accounts: ['user:alice'] };
    // Controls: a hand-made token is accepted when nothing is wrong with it, in either place.
    const valid = craftToken({ ...claims, exp: nowSeconds() + 3600 });
    (await StreamClient.connect(server, { token: valid })).terminate();
    (await StreamClient.connect(server, { query: `?access_token=${valid}` })).terminate();

    const expired = craftToken({ ...claims, exp: nowSeconds() - 60 });
    const refused = {
      'no token': {},
      'expired token': { token: expired },
      'expired token in the query': { query: `?access_token=${expired}` },
      'wrong signature': { token: tamperSignature(server.token(claims)) },
      'alg none': { token: craftToken({ ...claims, exp: nowSeconds() + 3600, alg: 'none' }) },
      'HS256 signed with another key': { token: server.token({ ...claims, secret: 'another-secret' }) },
      'HS512 with the right key': { token: craftToken({ ...claims, exp: nowSeconds() + 3600, alg: 'HS512' }) },
      'not a JWT': { token: 'not-a-jwt' },
      'a Basic scheme': { headers: { Authorization: `Basic ${Buffer.from('alice:pw').toString('base64')}` } },
    };
    for (const [why, options] of Object.entries(refused)) {
      const refusal = await StreamClient.refusal(server, options);
      assert.equal(refusal.status, 401, `${why}: ${JSON.stringify(refusal)}`);
      assert.equal(refusal.body?.error?.code, 'unauthorized', `${why}: ${JSON.stringify(refusal.body)}`);
    }
  }));

test('upgrade refused with 403 when the Origin is not allowed; same origin and allowed_origins pass',
  { timeout: TEST_TIMEOUT_MS }, () => withServer({}, async (server) => {
    const token = server.adminToken;
    const refusal = await StreamClient.refusal(server, { token, origin: 'http://evil.example' });
    assert.equal(refusal.status, 403, JSON.stringify(refusal));
    assert.equal(refusal.body?.error?.code, 'forbidden', JSON.stringify(refusal.body));
    const allowed = [WEBSOCKET_TEST_LIMITS.allowed_origins[0], `http://127.0.0.1:${server.port}`, undefined];
    for (const origin of allowed) {
      const client = await StreamClient.connect(server, { token, origin });
      assert.deepEqual(pick(await client.ping('p'), ['type', 'id']), { type: 'pong', id: 'p' }, `origin ${origin}`);
      client.terminate();
    }
  }));

test('subscribing to another user\'s account: error forbidden, and the connection stays usable',
  { timeout: TEST_TIMEOUT_MS }, () => withServer({}, async (server, connect) => {
    const alice = await connect({ token: server.token({ sub: 'alice', accounts: ['user:alice'] }) });
    const refused = await alice.request({ op: 'subscribe', id: 'not-hers', accounts: ['user:bob'] });
    assert.deepEqual(pick(refused, ['type', 'id', 'code']), { type: 'error', id: 'not-hers', code: 'forbidden' });
    assert.equal(typeof refused.message, 'string');
    assert.ok(alice.open, 'closed after an error frame');
    await subscribe(alice, 'hers', ['user:alice']);
    await server.transfer('to-bob', 'system:bank', 'user:bob', '3.00');
    const receipt = await server.transfer('to-alice', 'system:bank', 'user:alice', '2.00');
    await alice.waitFor((f) => f.type === 'balance' && f.account === 'user:alice' && f.seq === receipt.to.seq,
      'alice\'s event');
    assert.deepEqual(alice.balances('user:bob'), [], 'bob\'s events reached alice');
    assert.equal((await alice.ping('still-there')).type, 'pong');
  }));

test('a message over message_bytes_max closes with 1009',
  { timeout: TEST_TIMEOUT_MS }, () => withServer({}, async (server, connect) => {
    const client = await connect({ token: server.adminToken });
    assert.equal((await client.ping('small')).type, 'pong');
    client.sendRaw(JSON.stringify({ op: 'ping', id: 'big', pad: 'x'.repeat(65_536 + 1024) }), { binary: false });
    const closed = await client.closed();
    assert.equal(closed.code, 1009, `close ${JSON.stringify(closed)}${client.describe()}`);
  }));

test('a flood gets rate_limited errors and/or a 1008 close, while another client is still served',
  { timeout: TEST_TIMEOUT_MS }, () => withServer({}, async (server, connect) => {
    const flooder = await connect({ token: server.adminToken });
    const other = await connect({ token: server.token({ sub: 'alice', accounts: ['user:alice'] }) });
    await subscribe(other, 's', ['user:alice']);
    const flood = 20 * WEBSOCKET_TEST_LIMITS.messages_per_second;  // 20 s worth, sent at once
    for (let i = 0; i < flood; i += 1)
      flooder.send({ op: 'ping', id: `f${i}` });

    assert.equal((await other.ping('during-flood')).type, 'pong');
    const receipt = await server.transfer('during-flood', 'system:bank', 'user:alice', '1.00');
    await other.waitFor((f) => f.type === 'balance' && f.seq === receipt.to.seq, 'alice\'s event during the flood');

    const limited = () => flooder.frames.filter((f) => f.type === 'error' && f.code === 'rate_limited');
    await until(() => limited().length > 0 || flooder.closeInfo !== null,
      'a rate_limited error frame or a close', { describe: () => flooder.describe() });
    if (flooder.closeInfo)
      assert.equal(flooder.closeInfo.code, 1008, `flooder closed with ${JSON.stringify(flooder.closeInfo)}`);
    const pongs = flooder.frames.filter((f) => f.type === 'pong').length;
    assert.ok(pongs < flood, `all ${flood} flooded pings were answered`);
    assert.ok(other.open, 'the other client was closed');
    assert.equal((await other.ping('after-flood')).type, 'pong');
  }));

// Within an account and bucket, seqs only grow, and a jump is marked coalesced. Empty when so;
// else one line: how many violations, and the two events around the first.
function orderProblems(name, client) {
  let count = 0;
  let first = '';
  const lastEvent = new Map();
  for (const event of client.balances()) {
    const key = `${event.account} ${event.bucket}`;
    const previous = lastEvent.get(key);
    lastEvent.set(key, event);
    if (previous === undefined || (event.seq === previous.seq + 1) || (event.seq > previous.seq && event.coalesced === true))
      continue;
    count += 1;
    if (!first) {
      const what = event.seq > previous.seq ? 'an unmarked seq jump' : 'seq going back';
      first = `${what} on ${key}:\n    ${JSON.stringify(previous)}\n    ${JSON.stringify(event)}`;
    }
  }
  return count ? [`${name}: ${count} unmarked jumps or reorders in ${client.balances().length} events; first, ${first}`] : [];
}

test('a slow reader is coalesced or closed with 1013, the server\'s memory stays bounded, a fast reader gets everything',
  { timeout: TEST_TIMEOUT_MS },
  () => withServer({
    // Idle timeout out of the way (a paused client answers no pings); small SQLite cache and index tail
    // so the ledger's own memory does not hide what the send queues use.
    websocket: { idle_timeout_ms: 60_000, connections_per_ip_max: 100 },
    config: { storage: { sqlite: { cache_kib: 2048, index_merge_rows: 5000 } } },
  }, async (server, connect) => {
    const accounts = ['system:bank', 'user:slow'];
    const fast = await connect({ token: server.adminToken });
    await subscribe(fast, 'fast', accounts);
    const slow = [];
    for (let i = 0; i < 16; i += 1) {
      const client = await connect({ token: server.adminToken });
      await subscribe(client, `slow${i}`, accounts);
      slow.push(client);
    }
    // Warm up (allocator, caches, index tail) with everybody reading, then stop reading.
    await server.transfers({ prefix: 'warm', from: 'system:bank', to: 'user:slow', amount: '1.00', count: 2000, concurrency: 64 });
    await fast.waitFor((f) => f.type === 'balance' && f.account === 'user:slow' && f.seq === 2000, 'warm-up events');
    for (const client of slow)
      client.pauseReading();
    const eventsAtPause = slow.map((client) => client.balances().length);
    const baselineKiB = server.rssKiB();
    let peakKiB = baselineKiB;
    const sampler = setInterval(() => { peakKiB = Math.max(peakKiB, server.rssKiB()); }, 50);
    let finalSlow;
    try {
      // 2 events per transfer per client: ~10 MB each, well past what the kernel buffers (a few MB).
      const count = 20_000;
      await server.transfers({ prefix: 'load', from: 'system:bank', to: 'user:slow', amount: '0.01', count, concurrency: 64 });
      finalSlow = await server.account('user:slow');
      const finalBank = await server.account('system:bank');
      await fast.waitFor((f) => f.type === 'balance' && f.account === 'user:slow' && f.seq === finalSlow.seq,
        'the fast reader\'s last user:slow event', 20_000);
      await fast.waitFor((f) => f.type === 'balance' && f.account === 'system:bank' && f.seq === finalBank.seq,
        'the fast reader\'s last system:bank event', 20_000);
      assert.equal(fast.balances('user:slow').at(-1).available, finalSlow.balances[0].available);
      assert.ok(fast.open, `the fast reader was closed: ${JSON.stringify(fast.closeInfo)}`);
      // The slow readers stay behind past behind_close_ms; then they read again.
      await sleep(WEBSOCKET_TEST_LIMITS.behind_close_ms + 1500);
    } finally {
      clearInterval(sampler);
    }
    for (const client of slow)
      client.resumeReading();
    // Judged on what came after the pause (the warm-up may coalesce too: one Node process reads
    // 17 sockets while it drives the load). Settled: closed, or caught up to the last change.
    const coalesced = (client, i) => client.balances().slice(eventsAtPause[i]).some((e) => e.coalesced === true);
    const caughtUp = (client) => client.balances('user:slow').some((e) => e.seq === finalSlow.seq);
    const outcome = (client, i) => `slow${i}: ${client.balances().length - eventsAtPause[i]} events after the pause,`
      + ` coalesced ${coalesced(client, i)}, caught up ${caughtUp(client)}, close ${JSON.stringify(client.closeInfo)}`;
    await until(() => slow.every((client) => client.closeInfo !== null || caughtUp(client)),
      'every slow reader closed or caught up', {
        timeoutMs: 15_000,
        describe: () => slow.map((client, i) => `\n  ${outcome(client, i)}`).join(''),
      });
    // Every problem at once, so one run says all that is wrong.
    const problems = [];
    slow.forEach((client, i) => {
      // A paused client may also find the connection dropped (1006) once the server gave up
      // waiting for it to take the 1013 close frame; coalesced events before that still count.
      if (!(client.closeInfo?.code === 1013 || coalesced(client, i)))
        problems.push(`neither closed with 1013 nor coalesced: ${outcome(client, i)}`);
      problems.push(...orderProblems(`slow${i}`, client));
    });
    problems.push(...orderProblems('fast', fast));
    const grownMiB = (peakKiB - baselineKiB) / MiB;
    const closes = {};
    for (const client of slow)
      closes[client.closeInfo?.code ?? 'open'] = (closes[client.closeInfo?.code ?? 'open'] ?? 0) + 1;
    console.log(`slow readers: closes ${JSON.stringify(closes)}, ${slow.filter(coalesced).length} of ${slow.length} got`
      + ` coalesced events after the pause; server RSS ${baselineKiB} KiB before, peak ${peakKiB} KiB`);
    if (grownMiB >= 64)
      problems.push(`server RSS grew ${grownMiB.toFixed(1)} MiB (from ${baselineKiB} KiB to ${peakKiB} KiB)`);
    if (problems.length)
      assert.fail(`slow reader problems:\n${problems.join('\n')}`);
  }));

test('bad JSON, bad msgpack, wrong fields and an unknown op give bad_request, and the connection stays open',
  { timeout: TEST_TIMEOUT_MS }, () => withServer({}, async (server, connect) => {
    const json = await connect({ token: server.adminToken });
    const badRequests = (client) => client.frames.filter((f) => f.type === 'error' && f.code === 'bad_request');
    const expectBadRequests = (client, count, what) => until(() => badRequests(client).length >= count,
      `${count} bad_request error frames (${what})`, { describe: () => client.describe() });

    json.sendRaw('{"op": "ping", "id": ', { binary: false });
    await expectBadRequests(json, 1, 'bad JSON');
    assert.equal((await json.ping('after-bad-json')).type, 'pong');
    json.sendRaw('[1, 2, 3]', { binary: false });
    await expectBadRequests(json, 2, 'a JSON array');
    const unknown = await json.request({ op: 'dance', id: 'unknown-op' });
    assert.deepEqual(pick(unknown, ['type', 'id', 'code']), { type: 'error', id: 'unknown-op', code: 'bad_request' });
    const missing = await json.request({ op: 'subscribe', id: 'no-accounts' });
    assert.deepEqual(pick(missing, ['type', 'id', 'code']), { type: 'error', id: 'no-accounts', code: 'bad_request' });
    const wrongType = await json.request({ op: 'subscribe', id: 'wrong-type', accounts: [{ account: 'user:a', since_seq: 'x' }] });
    assert.deepEqual(pick(wrongType, ['type', 'id', 'code']), { type: 'error', id: 'wrong-type', code: 'bad_request' });
    assert.ok(json.open, `closed: ${JSON.stringify(json.closeInfo)}`);
    assert.equal((await json.ping('after-all')).type, 'pong');

    const packed = await connect({ token: server.adminToken, protocols: [MSGPACK_PROTOCOL] });
    packed.sendRaw(Buffer.from([0xc1, 0xff, 0x00, 0x13, 0x37]), { binary: true });  // 0xc1 is never used
    await expectBadRequests(packed, 1, 'binary garbage');
    assert.equal((await packed.ping('after-garbage')).type, 'pong');
    packed.sendRaw(Buffer.from([0x82, 0xa2, 0x6f, 0x70]), { binary: true });  // a map cut short
    await expectBadRequests(packed, 2, 'truncated msgpack');
    packed.sendRaw(encode(42), { binary: true });
    await expectBadRequests(packed, 3, 'msgpack that is not a map');
    const packedUnknown = await packed.request({ op: 'dance', id: 'unknown-op' });
    assert.deepEqual(pick(packedUnknown, ['type', 'id', 'code']), { type: 'error', id: 'unknown-op', code: 'bad_request' });
    assert.ok(packed.open, `closed: ${JSON.stringify(packed.closeInfo)}`);
    assert.equal((await packed.ping('after-all')).type, 'pong');
  }));

test('subscriptions over subscriptions_max: error too_many_subscriptions, and unsubscribing frees a place',
  { timeout: TEST_TIMEOUT_MS }, () => withServer({}, async (server, connect) => {
    assert.equal(WEBSOCKET_TEST_LIMITS.subscriptions_max, 3);
    const client = await connect({ token: server.adminToken });
    await subscribe(client, 'three', ['user:a1', 'user:a2', 'user:a3']);
    const fourth = await client.request({ op: 'subscribe', id: 'fourth', accounts: ['user:a4'] });
    assert.deepEqual(pick(fourth, ['type', 'id', 'code']), { type: 'error', id: 'fourth', code: 'too_many_subscriptions' });
    assert.equal((await client.ping('still-open')).type, 'pong');
    const unsubscribed = await client.request({ op: 'unsubscribe', id: 'free', accounts: ['user:a1'] });
    assert.equal(unsubscribed.type, 'unsubscribed', JSON.stringify(unsubscribed));
    await subscribe(client, 'fourth-again', ['user:a4']);
    await server.transfer('to-a1', 'system:bank', 'user:a1', '1.00');
    const receipt = await server.transfer('to-a4', 'system:bank', 'user:a4', '1.00');
    await client.waitFor((f) => f.type === 'balance' && f.account === 'user:a4' && f.seq === receipt.to.seq, 'a4\'s event');
    assert.deepEqual(client.balances('user:a1'), [], 'events of an unsubscribed account');

    const greedy = await connect({ token: server.adminToken });
    const tooMany = await greedy.request({ op: 'subscribe', id: 'four', accounts: ['user:b1', 'user:b2', 'user:b3', 'user:b4'] });
    assert.deepEqual(pick(tooMany, ['type', 'id', 'code']), { type: 'error', id: 'four', code: 'too_many_subscriptions' });
    assert.equal((await greedy.ping('still-open')).type, 'pong');
  }));

test('connections from one IP over connections_per_ip_max are refused with 429 until one closes',
  { timeout: TEST_TIMEOUT_MS }, () => withServer({}, async (server, connect) => {
    const token = server.adminToken;
    const open = [];
    for (let i = 0; i < WEBSOCKET_TEST_LIMITS.connections_per_ip_max; i += 1)
      open.push(await connect({ token }));
    const refusal = await StreamClient.refusal(server, { token });
    assert.equal(refusal.status, 429, JSON.stringify(refusal));
    assert.equal(refusal.body?.error?.code, 'rate_limited', JSON.stringify(refusal.body));
    assert.equal((await open[0].ping('still-served')).type, 'pong');

    open[0].ws.close(1000);
    assert.equal((await open[0].closed()).code, 1000);
    // The server may take a moment to count the closed one out; a 429 until then.
    const again = await until(async () => {
      try {
        return await connect({ token });
      } catch (error) {
        if (error.status === 429)
          return undefined;
        throw error;
      }
    }, 'a connection once one of the 20 closed');
    assert.equal((await again.ping('in')).type, 'pong');
  }));

test('an idle client that answers no pings is pinged, then closed with 1001; one that answers stays',
  { timeout: TEST_TIMEOUT_MS }, () => withServer({}, async (server, connect) => {
    const silent = await connect({ token: server.adminToken, autoPong: false });
    const answering = await connect({ token: server.adminToken });
    const closed = await silent.closed(10_000);
    assert.equal(closed.code, 1001, `close ${JSON.stringify(closed)}`);
    assert.ok(silent.pings >= 1, 'the server closed an idle client without pinging it first');
    // The answering client is as old as the silent one, past idle_timeout_ms: its pongs kept it.
    assert.ok(answering.pings >= 1, 'the answering client was never pinged');
    assert.ok(answering.open, `the answering client was closed: ${JSON.stringify(answering.closeInfo)}`);
    assert.equal((await answering.ping('alive')).type, 'pong');
  }));

test('the token expiring closes the connection with 1008',
  { timeout: TEST_TIMEOUT_MS }, () => withServer({}, async (server, connect) => {
    const token = server.token({ sub: 'alice', accounts: ['user:alice'], ttl: 2 });
    const client = await connect({ token });
    await subscribe(client, 's', ['user:alice']);
    const closed = await client.closed(15_000);
    assert.equal(closed.code, 1008, `close ${JSON.stringify(closed)}`);
  }));
