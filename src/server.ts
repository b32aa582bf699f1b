// The server factory: one Fastify instance configured to answer like Nomad's HTTP agent, with the
// store and one plugin per resource.
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Store } from '../state/store.js';
import { parseNomadVersion } from '../state/version.js';
import { DEFAULTS, nodeSpecs, type Config } from './config.js';
import {
  GO_MAX_HEADER_BYTES,
  HttpError,
  INTERNAL_ERROR_TEXT,
  answerAsGoServer,
  clientErrorHandler,
  dropQueuedHeaders,
  encodeBody,
  flushQueuedHeaders,
  frameworkErrors,
  goJson,
  isUiPath,
  lookUpEveryMethodAsGet,
  methodForLookup,
  notFoundHandler,
  ownMethod,
  registerRoutes,
  routeConfig,
  sendError,
  serveLikeGo,
  UpgradeGate,
} from '../routes/index.js';
import { RpcError } from '../state/errors.js';
import { registerNodes } from '../state/nodes/table.js';
import { eventBuffer } from '../state/events/buffer.js';
import { Clock } from './clock.js';
import { Guard } from './guard.js';
import { Simulator } from './sim/index.js';
import { gcSettings } from './sim/gc.js';
import { randomness } from './random.js';
import { MockControl } from './control/mock-control.js';
import { NodeControl } from './control/nodes.js';
import { applyFaults, journalRequest, requestElapsedMs, stampRequest } from './control/hooks.js';
import { controlGate, exposureWarning, isControlPath } from './control/access.js';
import { httpMetricName, metricsFor } from './metrics.js';
import { Persister } from './persist/loop-append.js';
import { runScenario, seedFromDir, type HclParser } from './control/seed.js';
import { Limits } from './limits.js';
import { installBodyReader } from './request-body.js';
import { LogTap } from './log-tap.js';
import { logPrinter } from './log-output.js';
import { errorTextOf, lazyChildren, logRequest } from './request-log.js';
import { logCluster, logCollected } from './cluster-log.js';
import { withJoinedBootSteps } from './boot-steps.js';

/** Job files in HCL go through the same parser as /v1/jobs/parse. */
const hclParser = (): HclParser => async (source, file) => (await import('../state/hcl/index.js')).parseJobspec(source, { filename: file });

export interface NomadMock {
  app: FastifyInstance;
  store: Store;
  config: Config;
  clock: Clock;
  /** Catches, logs and counts exceptions of everything the simulator runs on its own (GET /_mock/health). */
  guard: Guard;
  /** Null when created with `simulate: false` (a bare store: no nodes, nothing runs). */
  sim: Simulator | null;
  control: MockControl;
  /** Memory budgets for what clients can make the server hold, and what they hold now. */
  limits: Limits;
  /**
   * Loads the data dir (or seeds from --jobs-dir and --scenario) and starts persisting. The CLI
   * and createMockNomad call it before listening; tests that need none of it may skip it.
   */
  init(): Promise<void>;
  /** The write-ahead log under --data-dir once init() ran; null without a data dir. */
  readonly persistence: Persister | null;
}

/** With --seed and a manual clock, simulated time starts here unless --clock-start says otherwise. */
export const SEEDED_CLOCK_START = '2025-01-01T00:00:00Z';

export interface ServerOptions {
  /** Run the lifecycle simulator and register the simulated nodes (default true). */
  simulate?: boolean;
  /**
   * Give each of the 34 methods its own router tree instead of looking every method up in GET's
   * (routes/http/method-routing.ts): slower to create, answers alike (a test compares the two).
   */
  treePerMethod?: boolean;
}

/** Go's url.Values.Get: only the first value of a repeated parameter counts. */
function firstValueQuery(qs: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (qs === '') return out;
  for (const part of qs.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const rawVal = eq < 0 ? '' : part.slice(eq + 1);
    let key: string;
    let val: string;
    try {
      key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
      val = decodeURIComponent(rawVal.replace(/\+/g, ' '));
    } catch {
      continue; // Go drops pairs it cannot unescape
    }
    if (!(key in out)) out[key] = val;
  }
  return out;
}

const JSON_WITH_CHARSET = 'application/json; charset=utf-8';
/** A Content-Type Fastify accepts (`type/subtype`, tokens per RFC 9110); others are dropped. */
const MEDIA_TYPE = /^\s*[\w!#$%&'*+.^`|~-]+\/[\w!#$%&'*+.^`|~-]+\s*(;.*)?$/;

// Fastify's types describe Ajv's compiled validators; plain functions are what it actually calls.
const TRIVIAL_COMPILERS = {
  buildValidator: () => () => () => true,
  buildSerializer: () => () => (data: unknown) => goJson(data),
} as unknown as NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

/**
 * One pass over a request target: where its query starts (its length when it has none), times two,
 * plus one when the path before it holds `//` or `/.`, which cleanPath may change. Cheaper than
 * `indexOf` and two `includes` (a two-character search is a call into the engine's runtime).
 */
function scanUrl(url: string): number {
  const n = url.length;
  let mayBeUnclean = 0;
  for (let i = 0; i < n; i++) {
    const c = url.charCodeAt(i);
    if (c === 0x3f) return i * 2 + mayBeUnclean;
    if (c === 0x2f && i + 1 < n) {
      const d = url.charCodeAt(i + 1);
      if (d === 0x2f || d === 0x2e) mayBeUnclean = 1;
    }
  }
  return n * 2 + mayBeUnclean;
}

/** Go's ServeMux redirects paths that are not clean (`//`, `/./`, `/../`) before any handler runs. */
export function cleanPath(p: string): string {
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  let out = `/${parts.join('/')}`;
  if (p.endsWith('/') && out !== '/') out += '/';
  return out;
}

export function createServer(overrides: Partial<Config> = {}, store?: Store, opts: ServerOptions = {}): NomadMock {
  const config: Config = { ...DEFAULTS, ...overrides };
  // Without the simulator nothing is simulated, so time is plain wall-clock time.
  const simulate = opts.simulate ?? config.simulate;
  const manual = config.clock === 'manual';
  const start = config.clockStart || (config.seed && manual ? SEEDED_CLOCK_START : '');
  const guard = new Guard();
  const clock = new Clock({
    guard,
    mode: manual ? 'manual' : 'scaled',
    scale: simulate ? config.timeScale : 1,
    startMs: start ? Date.parse(start) : undefined,
  });
  const rnd = randomness(config.seed);
  const logs = new LogTap(config.logLevel, config.logLevel === 'silent' ? undefined : logPrinter(config.logFormat));
  const app = Fastify({
    // Always a real pino logger (silent by default in tests): /v1/agent/monitor may raise its level.
    logger: { level: config.logLevel, stream: logs.stream },
    // One line per request, written when it is answered (below), instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    exposeHeadRoutes: false,
    // Closing drops every connection, as a stopping agent does; a connection left half-open by a
    // client must not keep close() (and a test suite's teardown) waiting.
    forceCloseConnections: true,
    bodyLimit: 64 * 1024 * 1024,
    // Go's request limits, and its plain-text answers to what never reaches a route. Only the
    // websocket routes take upgrades; every other request is plain HTTP, as Go serves it.
    http: { maxHeaderSize: GO_MAX_HEADER_BYTES, requireHostHeader: false, IncomingMessage: UpgradeGate },
    routerOptions: { querystringParser: firstValueQuery, maxParamLength: GO_MAX_HEADER_BYTES },
    clientErrorHandler,
    frameworkErrors,
    rewriteUrl: opts.treePerMethod ? undefined : methodForLookup,
    // Routes parse their own input with Nomad's rules and messages; schemas document and type it.
    // Supplying the compilers here also spares start-up the load of Ajv and fast-json-stringify.
    schemaController: { compilersFactory: TRIVIAL_COMPILERS },
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Each request's pino child is made only if something logs through it (src/request-log.ts).
  lazyChildren(app.log);
  guard.logger = app.log;
  logs.logger = app.log;
  serveLikeGo(app);
  if (!opts.treePerMethod) lookUpEveryMethodAsGet(app);

  const nomadVersion = parseNomadVersion(config.nomadVersion);
  if (typeof nomadVersion === 'string') throw new Error(nomadVersion);
  const st = store ?? new Store({ region: config.region, nowNs: () => clock.nowNs(), newId: rnd.newId, nomadVersion });
  let sim: Simulator | null = null;
  // The event buffer must see the node registrations too.
  eventBuffer(st);
  if (simulate) {
    registerNodes(st, nodeSpecs(config));
    sim = new Simulator(st, clock, gcSettings(config));
  }
  const control = new MockControl(st, clock, sim, rnd);
  control.nodes = new NodeControl(st, { datacenter: config.datacenters.split(',').map((d) => d.trim()).find(Boolean) ?? 'dc1', nodePool: config.nodePool, cpu: config.nodeCpu, memoryMB: config.nodeMemory });
  let persister: Persister | null = null;
  app.addHook('onClose', async () => {
    sim?.close();
    clock.close();
    await persister?.close();
  });
  const init = async (): Promise<void> => {
    const saved = config.dataDir ? new Persister(st, config.dataDir, guard) : null;
    const snap = saved?.load() ?? null;
    if (snap) {
      // Nobody has been answered yet: the saved indexes are taken as they are.
      control.restore(snap, { exact: true });
    } else {
      if (config.jobsDir) await seedFromDir(st, config.jobsDir, hclParser());
      if (config.scenario) await runScenario(st, clock, config.scenario);
    }
    control.markStartupState();
    persister = saved;
    persister?.start();
  };

  const limits = new Limits();
  installBodyReader(app, limits);
  const gate = controlGate(config);
  const exposed = exposureWarning(config);
  if (exposed) app.addHook('onListen', (done) => {
    app.log.warn(exposed);
    done();
  });

  // One hook each way for every request: Go's clean-path redirect, the journal stamp and faults on
  // the way in; Vary, the queued Nomad headers, charset, the journal and compression on the way out.
  // JSON answers take the same steps in sendJson (routes/http/reply.ts) and skip the onSend hook.
  const telemetry = metricsFor(st);
  const answered = (req: FastifyRequest, status: number, errorText?: string): void => {
    const ms = requestElapsedMs(req);
    if (ms !== undefined) {
      // One wall-clock reading for both (Date.now is a costly call on some virtual machines).
      const at = Date.now();
      journalRequest(control, req, status, ms, at);
      telemetry.sampleRequest(httpMetricName(req.method, routeConfig(req)?.url), ms, at);
    }
    logRequest(app.log, req, status, ms, errorText);
  };
  app.decorate('recordResponse', answered);
  // With --data-dir, an answer that saw a write leaves once the log holds it on disk: any request
  // that may have written (not GET/HEAD), and a read during which a write committed.
  const seenAtStart = new WeakMap<FastifyRequest, number>();
  const durableAnswer = (req: FastifyRequest): Promise<void> | null => {
    if (!persister) return null;
    const seen = st.index;
    if ((req.method === 'GET' || req.method === 'HEAD') && seenAtStart.get(req) === seen) return null;
    return persister.whenDurable(seen);
  };
  app.decorate('durableAnswer', durableAnswer);
  // A client sends the same Content-Type again and again: the last one that passed needs no regexp.
  let lastMediaType: string | null = null;
  app.addHook('onRequest', (req, reply, done) => {
    const raw = req.raw;
    // First of all: the method the request was looked up by is not necessarily its own.
    ownMethod(raw);
    if (persister) seenAtStart.set(req, st.index);
    if (answerAsGoServer(req, reply)) return;
    // Nomad never reads Content-Type; Fastify would refuse a malformed one (415) before any route.
    const headers = raw.headers;
    const ct = headers['content-type'];
    if (ct !== undefined && ct !== lastMediaType) {
      if (MEDIA_TYPE.test(ct)) lastMediaType = ct;
      else delete headers['content-type'];
    }
    const url = raw.url ?? '/';
    const scan = scanUrl(url);
    const q = scan >>> 1;
    const path = q === url.length ? url : url.slice(0, q);
    const controlPath = isControlPath(path);
    if ((scan & 1) === 1) {
      const clean = cleanPath(path);
      if (clean !== path) {
        if (!controlPath) stampRequest(req);
        reply.code(301).header('location', clean + url.slice(q)).send();
        return;
      }
    }
    // Control requests are never journaled, timed or faulted; the gate may refuse them.
    if (controlPath) {
      if (gate(req, reply, path)) return;
      return done();
    }
    // The UI's own files are not API traffic either (its API calls are).
    if (config.ui !== false && isUiPath(path)) return done();
    stampRequest(req);
    if (control.faults.idle()) return done();
    applyFaults(control, req, reply, path, done);
  });

  const finishSend = (req: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void): void => {
    reply.raw.setHeader('Vary', 'Accept-Encoding');
    flushQueuedHeaders(reply);
    if (reply.getHeader('content-type') === JSON_WITH_CHARSET) reply.header('content-type', 'application/json');
    answered(req, reply.statusCode, reply.statusCode >= 500 ? errorTextOf(payload) : undefined);
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return done(null, payload);
    // Already encoded by its route (the UI's precompressed files).
    if (reply.getHeader('content-encoding') !== undefined) return done(null, payload);
    const { body, encoding } = encodeBody(req, payload);
    if (!encoding) return done(null, payload);
    reply.header('content-encoding', encoding);
    reply.removeHeader('content-length');
    done(null, body);
  };
  app.addHook('onSend', (req, reply, payload, done) => {
    const wait = durableAnswer(req);
    if (!wait) return finishSend(req, reply, payload, done);
    wait.then(
      () => finishSend(req, reply, payload, done),
      () => {
        // Never a 200 for a write that is not on disk (the persister counted the failure).
        dropQueuedHeaders(reply);
        reply.code(500).type('text/plain; charset=utf-8');
        finishSend(req, reply, INTERNAL_ERROR_TEXT, done);
      },
    );
  });

  // Nomad's mux, from its route table: 501 for a Nomad route not emulated, its own answer otherwise.
  app.setNotFoundHandler(notFoundHandler);

  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    if (err instanceof HttpError) return sendError(reply, err.status, err.message);
    if (err instanceof RpcError) return sendError(reply, err.code, err.message);
    if (err.statusCode && err.statusCode < 500) return sendError(reply, err.statusCode, err.message);
    // An exception nobody anticipated: its text (a JavaScript engine message) stays in the log.
    guard.caught(`request ${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]}`, err);
    return sendError(reply, 500, INTERNAL_ERROR_TEXT);
  });

  withJoinedBootSteps(app, () => registerRoutes(app, { store: st, config, clock, sim, control, limits, logs }));
  const stopClusterLog = logCluster(st, app.log);
  app.addHook('onClose', async () => stopClusterLog());
  if (sim) sim.onCollected = (r) => logCollected(app.log, r);
  return {
    app,
    store: st,
    config,
    clock,
    guard,
    sim,
    control,
    limits,
    init,
    get persistence() {
      return persister;
    },
  };
}
