// The peer of benchmarks/run: an order service built on Emmett and its PostgreSQL event store,
// serving the scenario that orderline-loadgen drives against Orderline:
//   POST /orders      place an order: CommandHandler appends OrderPlaced with expected stream
//                     version STREAM_DOES_NOT_EXIST (201 {order_id, version}; 409 on a conflict)
//   GET /orders/:id   read it back: aggregateStream folds the stream with evolve (200 or 404)
//   GET /healthz      process up
//
// Deployment: Node runs JavaScript on one thread, so one process would leave a core idle. The
// usual production set-up for a Node HTTP service is one process per core behind the kernel's
// load balancing, which node:cluster gives without another tool (PM2's cluster mode does the
// same thing). Each worker has its own pg pool of --pool connections (pg's default is 10).
//
//   node server.js --pg postgresql://postgres@127.0.0.1:5432/db --port 0 --port-file F
//                  [--workers N (default: cores)] [--pool 10]
import cluster from 'node:cluster';
import { createHash, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';

import {
  CommandHandler,
  EmmettError,
  STREAM_DOES_NOT_EXIST,
  ValidationError,
  isExpectedVersionConflictError,
} from '@event-driven-io/emmett';
import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import pg from 'pg';

import { evolve, initialState, placeOrder } from './order.js';

const { values: args } = parseArgs({
  options: {
    pg: { type: 'string' },
    port: { type: 'string', default: '0' },
    'port-file': { type: 'string' },
    workers: { type: 'string', default: String(availableParallelism()) },
    pool: { type: 'string', default: '10' },
  },
});
if (!args.pg) {
  console.error('server.js: --pg postgresql://... is required');
  process.exit(2);
}

const eventStoreFor = () =>
  getPostgreSQLEventStore(args.pg, {
    connectionOptions: { pool: new pg.Pool({ connectionString: args.pg, max: Number(args.pool) }) },
  });

// Like Orderline, a retried POST with the same Idempotency-Key lands on the same stream (the
// id is a name-based hash of the key), where the expected-version check turns it into a 409.
const orderIdFor = (key) => {
  if (!key) return randomUUID();
  const h = createHash('sha1').update(`orderline-peer:${key}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

const streamName = (orderId) => `order-${orderId}`;
const handle = CommandHandler({ evolve, initialState });

const send = (res, status, body) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

const readBody = (req) =>
  new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > 1 << 20) reject(new ValidationError('body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

const routes = (eventStore) => async (req, res) => {
  const url = req.url ?? '/';
  try {
    if (req.method === 'POST' && url === '/orders') {
      let body;
      try {
        body = JSON.parse(await readBody(req));
      } catch {
        throw new ValidationError('body is not JSON');
      }
      const orderId = orderIdFor(req.headers['idempotency-key']);
      const result = await handle(
        eventStore,
        streamName(orderId),
        (state) => placeOrder({ ...body, order_id: orderId }, state),
        { expectedStreamVersion: STREAM_DOES_NOT_EXIST },
      );
      return send(res, 201, { order_id: orderId, version: Number(result.nextExpectedStreamVersion), status: 'placed' });
    }
    if (req.method === 'GET' && url.startsWith('/orders/')) {
      const orderId = decodeURIComponent(url.slice('/orders/'.length).split('?')[0]);
      const { state, streamExists, currentStreamVersion } = await eventStore.aggregateStream(streamName(orderId), {
        evolve,
        initialState,
      });
      if (!streamExists) return send(res, 404, { code: 'not_found' });
      return send(res, 200, { ...state, version: Number(currentStreamVersion) });
    }
    if (req.method === 'GET' && url === '/healthz') return send(res, 200, { status: 'ok' });
    return send(res, 404, { code: 'not_found' });
  } catch (error) {
    if (isExpectedVersionConflictError(error)) return send(res, 409, { code: 'version_conflict' });
    const code = error?.errorCode;
    if (code === EmmettError.Codes.ValidationError) return send(res, 400, { code: 'validation_failed', detail: error.message });
    if (code === EmmettError.Codes.IllegalStateError) return send(res, 409, { code: 'invalid_transition' });
    console.error(error);
    return send(res, 500, { code: 'internal', detail: String(error?.message ?? error) });
  }
};

if (cluster.isPrimary) {
  // Create the schema once, before the workers race to do it on their first request.
  const store = eventStoreFor();
  await store.schema.migrate();
  await store.close();
  const workers = Number(args.workers);
  let listening = 0;
  cluster.on('listening', (_worker, address) => {
    if (++listening === workers && args['port-file']) writeFileSync(args['port-file'], `${address.port}\n`);
  });
  cluster.on('exit', (worker, code, signal) => {
    if (!stopping) {
      console.error(`worker ${worker.process.pid} died (${signal ?? code}); stopping`);
      process.exit(1);
    }
  });
  let stopping = false;
  const stop = () => {
    stopping = true;
    for (const w of Object.values(cluster.workers)) w.kill('SIGTERM');
    setTimeout(() => process.exit(0), 5000).unref();
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers).length === 0) process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Workers listening on port 0 share one port that the primary picks for the first of them.
  for (let i = 0; i < workers; ++i) cluster.fork();
} else {
  const eventStore = eventStoreFor();
  const server = http.createServer({ keepAliveTimeout: 65_000 }, routes(eventStore));
  server.listen(Number(args.port), '127.0.0.1');
  process.on('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
    eventStore.close().finally(() => process.exit(0));
  });
}
