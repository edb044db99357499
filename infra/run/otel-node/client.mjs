// Sends logs and traces to drain with the official OpenTelemetry JS SDK over OTLP/HTTP JSON (its
// exporters' default encoding), then reads back what drain stored in the folder given and checks
// every line: `node client.mjs URL TOKEN DATA_DIR`.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { context, logs, SeverityNumber, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

const [url, token, data] = process.argv.slice(2);
const headers = { authorization: `Bearer ${token}` };
const resource = resourceFromAttributes({ 'service.name': 'cart', 'deployment.environment': 'test' });

const tracerProvider = new TracerProvider({
  resource,
  spanProcessors: [new SimpleSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${url}/v1/traces`, headers }) })],
});
const loggerProvider = new LoggerProvider({
  resource,
  processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${url}/v1/logs`, headers }) })],
});
logs.setGlobalLoggerProvider(loggerProvider);

const tracer = tracerProvider.getTracer('cart.http', '0.3.0');
const logger = loggerProvider.getLogger('cart');
const root = tracer.startSpan('PUT /cart', { kind: SpanKind.SERVER, attributes: { 'http.route': '/cart', items: 2 } });
root.addEvent('priced', { total: 12.5 });
const inner = trace.setSpan(context.active(), root);
const child = tracer.startSpan('redis SET', { kind: SpanKind.CLIENT }, inner);
child.setStatus({ code: SpanStatusCode.ERROR, message: 'timeout' });
logger.emit({
  severityNumber: SeverityNumber.WARN,
  severityText: 'WARN',
  body: { event: 'slow', ms: 250 },
  attributes: { 'cart.id': 'c-9', tags: ['a', 'b'] },
  context: trace.setSpan(context.active(), child),
});
child.end();
root.end();
logger.emit({ severityNumber: SeverityNumber.INFO, body: 'cart saved' });
await tracerProvider.shutdown();
await loggerProvider.shutdown();

function lines(signal) {
  const out = [];
  const walk = (dir) => {
    let entries;
    try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return; }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ndjson.gz')) {
        out.push(...gunzipSync(readFileSync(p)).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)));
      }
    }
  };
  walk(join(data, signal, 'drain=otel'));
  return out;
}

let passed = 0, failed = 0;
function check(what, ok, got) {
  if (ok) { passed++; console.log(`ok   ${what}`); } else { failed++; console.log(`FAIL ${what}: ${JSON.stringify(got).slice(0, 2000)}`); }
}
const storedLogs = lines('logs'), spans = lines('traces');
const byName = Object.fromEntries(spans.map((s) => [s.name, s]));
const r = byName['PUT /cart'] ?? {}, c = byName['redis SET'] ?? {};
const warn = storedLogs.find((l) => l.level === 'warn') ?? {};
const info = storedLogs.find((l) => l.message === 'cart saved') ?? {};
check('2 spans stored under traces/ from JSON exports', spans.length === 2, spans);
check('the server span: kind, scope, int attribute, event with a double, service',
  r.kind === 'server' && r.scope?.name === 'cart.http' && r.scope?.version === '0.3.0' && r.attributes?.items === 2
  && r.events?.[0]?.name === 'priced' && r.events?.[0]?.attributes?.total === 12.5 && r.service === 'cart', r);
check('the client span: parent, status, same trace',
  c.parent_span_id === r.span_id && c.kind === 'client' && c.status_code === 'error' && c.status_message === 'timeout'
  && c.trace_id === r.trace_id && /^[0-9a-f]{32}$/.test(c.trace_id ?? ''), c);
check('2 log records stored under logs/', storedLogs.length === 2, storedLogs);
check('the warn log: a map body as JSON text and value, an array attribute, its span ids',
  warn.message === JSON.stringify({ event: 'slow', ms: 250 }) && warn.body?.ms === 250 && warn.severity_number === 13
  && JSON.stringify(warn.attributes?.tags) === '["a","b"]' && warn.trace_id === c.trace_id && warn.span_id === c.span_id, warn);
check('the info log: a string body, the level from the severity number', info.level === 'info' && info.severity_number === 9, info);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
