// Sends to drain with the senders' own client libraries, then reads back what drain stored in the
// folder given and checks every line: `node client.mjs URL DATA_DIR`.
// - Splunk's official `splunk-logging` (HEC /event, its events batched into one request of
//   envelopes back to back, Authorization: Splunk <token>);
// - `winston-loki` (Loki push in snappy-compressed protobuf, Basic auth, labels and a tenant).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Logger: SplunkLogger } = require('splunk-logging');
const winston = require('winston');
const LokiTransport = require('winston-loki');

const [url, data] = process.argv.slice(2);
let passed = 0;
let failed = 0;
function check(name, ok, detail = '') {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${ok ? '' : `: ${String(detail).slice(0, 2000)}`}`);
  ok ? passed++ : failed++;
}

// Splunk: three events in one batch (maxBatchCount 3), to /{source}/services/collector/event/1.0.
const splunk = new SplunkLogger({
  token: 'client-hec-token',
  url: `${url}/hec/services/collector/event/1.0`,
  maxBatchCount: 3,
});
const replies = [];
splunk.error = (err, context) => replies.push(`error: ${err}`);
await new Promise((resolve) => {
  let left = 3;
  const done = (err, resp, body) => {
    replies.push(err ? `error: ${err}` : `${resp.statusCode} ${JSON.stringify(body)}`);
    if (--left === 0) resolve();
  };
  // Its default event is `{message, severity}`: a string message is the stored message.
  splunk.send({ message: 'created repo drain', severity: 'info', metadata: { host: 'gh-1', sourcetype: 'github:audit' } }, done);
  splunk.send({ message: { action: 'repo.create', actor: 'octocat' }, severity: 'warn' }, done);
  splunk.send({ message: 'third', severity: 'error', metadata: { source: 'audit-stream', index: 'main' } }, done);
  setTimeout(resolve, 5000);
});
check('splunk-logging: the batch is answered 200 Success', replies.length > 0 && replies.every((r) => r.startsWith('200') && r.includes('"Success"')), replies);

// winston-loki: protobuf (its default when snappy loads), Basic auth, a tenant header.
const loki = new LokiTransport({
  host: `${url}/alloy`,
  basicAuth: 'alloy:client-loki-pass',
  headers: { 'X-Scope-OrgID': 'team-a' },
  labels: { app: 'shop', env: 'test' },
  json: false,
  batching: true,
  interval: 1,
  onConnectionError: (err) => check('winston-loki: no connection error', false, err),
});
check('winston-loki: snappy loaded, so it sends protobuf', loki.batcher.contentType === 'application/x-protobuf', loki.batcher.contentType);
const logger = winston.createLogger({ transports: [loki] });
logger.info('order placed', { labels: { route: '/orders' } });
logger.warn('stock low "quoted"');
logger.error('payment failed');
await loki.flush();
await new Promise((r) => setTimeout(r, 300));
logger.close();

function lines(source) {
  const out = [];
  const walk = (dir) => {
    let entries;
    try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return; }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ndjson.gz') && p.includes(`drain=${source}/`)) {
        out.push(...gunzipSync(readFileSync(p)).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)));
      }
    }
  };
  walk(join(data, 'logs'));
  return out;
}

const hec = lines('hec');
check('splunk-logging: three events stored', hec.length === 3, JSON.stringify(hec));
const byMessage = Object.fromEntries(hec.map((l) => [l.message, l]));
const first = byMessage['created repo drain'];
check('splunk-logging: event.message is the message, event.severity the level, host and sourcetype kept',
  first && first.event.message === 'created repo drain' && first.level === 'info' && first.host === 'gh-1' && first.sourcetype === 'github:audit' && first.drain === 'hec',
  JSON.stringify(first));
const object = hec.find((l) => typeof l.event.message === 'object');
check('splunk-logging: an object message kept whole in event, the stored message empty', object && object.event.message.action === 'repo.create' && object.message === '' && object.level === 'warn', JSON.stringify(hec));
check('splunk-logging: the envelope time (a string of seconds) is dt', hec.every((l) => Math.abs(Date.parse(l.dt) / 1000 - parseFloat(l.time)) < 0.002), JSON.stringify(hec.map((l) => [l.time, l.dt])));
check('splunk-logging: source and index from its metadata', byMessage.third?.source === 'audit-stream' && byMessage.third?.index === 'main', JSON.stringify(byMessage.third));

const alloy = lines('alloy');
check('winston-loki: three entries stored', alloy.length === 3, JSON.stringify(alloy));
const order = alloy.find((l) => l.message.includes('order placed'));
check('winston-loki: the labels parsed from the protobuf label text', order && order.labels.app === 'shop' && order.labels.env === 'test' && order.labels.route === '/orders' && order.labels.level === 'info', JSON.stringify(order));
check('winston-loki: level from the labels, the tenant kept', alloy.every((l) => ['info', 'warn', 'error'].includes(l.level) && l.tenant === 'team-a'), JSON.stringify(alloy));
check('winston-loki: a quote in the line kept', alloy.some((l) => l.message.includes('stock low "quoted"')), JSON.stringify(alloy));
check('winston-loki: the protobuf timestamp is dt (within a minute of now)', alloy.every((l) => Math.abs(Date.parse(l.dt) - Date.now()) < 60000), JSON.stringify(alloy.map((l) => l.dt)));

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
