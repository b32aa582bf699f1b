// `/_mock/*`: the control API (reset, snapshot/restore, clock, forced allocation states, faults,
// the leader switch, the request journal, health). A prefix Nomad never uses, so it cannot collide.
// Inputs are validated with their TypeBox schemas; errors are JSON `{ "Error": "…" }`.
import { Readable } from 'node:stream';
import { Type, type TSchema, type Static } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App, RouteContext } from '../http/context.js';
import { parseGoJson, rawBody } from '../http/body.js';
import { parseGoDuration } from '../../state/godur.js';
import { ControlError } from '../../src/control/mock-control.js';
import { FaultError } from '../../src/control/faults.js';
import { SnapshotError } from '../../state/snapshot/snapshot.js';
import { nodeControlRoutes } from './nodes.js';
import { SeedError, runScenario, scenarioNames } from '../../src/control/seed.js';

const ResetBody = Type.Object({ Namespace: Type.Optional(Type.String()) }, { additionalProperties: false });
const AdvanceBody = Type.Object(
  { Duration: Type.Optional(Type.String()), Milliseconds: Type.Optional(Type.Number({ minimum: 0 })) },
  { additionalProperties: false },
);
const ClockBody = Type.Object(
  { Mode: Type.Optional(Type.Union([Type.Literal('scaled'), Type.Literal('manual')])), Scale: Type.Optional(Type.Number({ exclusiveMinimum: 0 })) },
  { additionalProperties: false },
);
const AllocStateBody = Type.Object(
  {
    State: Type.Union([Type.Literal('running'), Type.Literal('failed'), Type.Literal('complete'), Type.Literal('lost')]),
    ExitCode: Type.Optional(Type.Integer()),
    Task: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
const FaultBody = Type.Object(
  {
    Method: Type.Optional(Type.String()),
    Path: Type.String({ minLength: 1 }),
    Status: Type.Optional(Type.Integer({ minimum: 100, maximum: 599 })),
    Body: Type.Optional(Type.String()),
    Probability: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    LatencyMs: Type.Optional(Type.Number({ minimum: 0 })),
    Connection: Type.Optional(Type.Union([Type.Literal('reset'), Type.Literal('empty')])),
    Times: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);
const ScenarioBody = Type.Object({ Name: Type.String({ minLength: 1 }) }, { additionalProperties: false });
const LeaderBody = Type.Object({ Leader: Type.Boolean() }, { additionalProperties: false });

function fail(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).type('application/json').send(JSON.stringify({ Error: message }));
}

// The value checker is only needed when a control call arrives; loading it lazily keeps start-up lean.
let checker: typeof import('@sinclair/typebox/value').Value | undefined;

/** Parses and validates a JSON body against its schema; an empty body is `{}` where allowed. */
async function body<S extends TSchema>(req: FastifyRequest, schema: S, emptyOk = false): Promise<Static<S>> {
  checker ??= (await import('@sinclair/typebox/value')).Value;
  const Value = checker;
  const raw = rawBody(req);
  let doc: unknown = {};
  if (raw.length > 0) {
    try {
      doc = parseGoJson(raw);
    } catch (err) {
      // Go's decoder message: JSON.parse's would be the JavaScript engine's.
      throw new ControlError(`invalid JSON body: ${(err as Error).message}`);
    }
  } else if (!emptyOk) {
    throw new ControlError('request body is empty');
  }
  if (!Value.Check(schema, doc)) {
    const first = [...Value.Errors(schema, doc)][0];
    throw new ControlError(first ? `${first.path || 'body'}: ${first.message}` : 'invalid body');
  }
  return doc as Static<S>;
}

const json = (reply: FastifyReply, value: unknown): FastifyReply =>
  reply.code(200).type('application/json').send(JSON.stringify(value));

export function controlRoutes(app: App, ctx: RouteContext): void {
  const control = ctx.control;
  const route = (method: string | string[], url: string, handler: (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> | FastifyReply): void => {
    const methods = Array.isArray(method) ? method : [method];
    app.all(url, { config: { acl: 'none' } }, async (req, reply) => {
      if (!methods.includes(req.method)) return fail(reply, 405, `method ${req.method} not allowed; use ${methods.join(' or ')}`);
      try {
        return await handler(req, reply);
      } catch (err) {
        if (err instanceof ControlError) return fail(reply, err.status, err.message);
        if (err instanceof FaultError || err instanceof SnapshotError) return fail(reply, 400, err.message);
        throw err;
      }
    });
  };

  // The server answers as long as it lives; Errors counts what the guard caught in simulator callbacks.
  route('GET', '/_mock/health', (_req, reply) => {
    const { count, last } = ctx.clock.guard;
    return json(reply, { Status: 'ok', Errors: { Count: count, Last: last } });
  });
  route('GET', '/_mock/ready', (_req, reply) => json(reply, { Ready: true, Index: ctx.store.index }));

  route('POST', '/_mock/reset', async (req, reply) => json(reply, control.reset((await body(req, ResetBody, true)).Namespace)));

  // Secrets only when asked for: a snapshot is easily pasted into a bug report or a CI artifact.
  route('GET', '/_mock/snapshot', (req, reply) => {
    const raw = (req.query as Record<string, string | undefined>).secrets;
    if (raw !== undefined && !['', 'true', 'false', '1', '0'].includes(raw)) throw new ControlError('secrets must be true or false');
    return json(reply, control.snapshot({ secrets: raw === 'true' || raw === '1' }));
  });
  route(['PUT', 'POST'], '/_mock/restore', (req, reply) => {
    const raw = rawBody(req);
    if (raw.length === 0) throw new ControlError('request body is empty');
    let doc: unknown;
    try {
      doc = parseGoJson(raw);
    } catch (err) {
      // Go's decoder message: JSON.parse's would be the JavaScript engine's.
      throw new ControlError(`invalid JSON body: ${(err as Error).message}`);
    }
    control.restore(doc);
    return json(reply, { Index: ctx.store.index });
  });

  route(['GET', 'PUT'], '/_mock/clock', async (req, reply) => {
    if (req.method === 'GET') return json(reply, control.clockState());
    const b = await body(req, ClockBody);
    return json(reply, control.setClock(b.Mode, b.Scale));
  });
  route('POST', '/_mock/clock/advance', async (req, reply) => {
    const b = await body(req, AdvanceBody);
    let ms = b.Milliseconds;
    if (b.Duration !== undefined) {
      const ns = parseGoDuration(b.Duration);
      if (ns === null || ns < 0) throw new ControlError(`Duration: ${JSON.stringify(b.Duration)} is not a duration like "90s" or "1h30m"`);
      ms = ns / 1e6;
    }
    if (ms === undefined) throw new ControlError('give Duration (e.g. "10s") or Milliseconds');
    return json(reply, await control.advance(ms, b.Duration !== undefined ? 'Duration' : 'Milliseconds'));
  });

  route('POST', '/_mock/allocation/:id/state', async (req, reply) => {
    const b = await body(req, AllocStateBody);
    const { id } = req.params as { id: string };
    const alloc = control.forceAlloc(id, b.State, { exitCode: b.ExitCode, task: b.Task });
    return json(reply, { ID: alloc.ID, ClientStatus: alloc.ClientStatus, DesiredStatus: alloc.DesiredStatus, ModifyIndex: alloc.ModifyIndex });
  });

  route(['GET', 'POST', 'DELETE'], '/_mock/faults', async (req, reply) => {
    if (req.method === 'GET') return json(reply, control.faults.list());
    if (req.method === 'DELETE') {
      control.faults.clear();
      return json(reply, []);
    }
    return json(reply, control.faults.add(await body(req, FaultBody)));
  });
  route('DELETE', '/_mock/faults/:id', (req, reply) => {
    const { id } = req.params as { id: string };
    if (!control.faults.remove(id)) throw new ControlError(`fault ${JSON.stringify(id)} not found`, 404);
    return json(reply, control.faults.list());
  });

  // The --scenario steps, run on the current state (jobs it names are registered again as new versions).
  route(['GET', 'POST'], '/_mock/scenario', async (req, reply) => {
    if (req.method === 'GET') return json(reply, { Scenarios: scenarioNames() });
    const { Name } = await body(req, ScenarioBody);
    if (!scenarioNames().includes(Name)) throw new ControlError(`unknown scenario ${JSON.stringify(Name)} (known: ${scenarioNames().join(', ')})`, 404);
    try {
      await runScenario(ctx.store, ctx.clock, Name);
    } catch (err) {
      if (err instanceof SeedError) throw new ControlError(err.message);
      throw err;
    }
    return json(reply, { Index: ctx.store.index });
  });

  route(['GET', 'PUT'], '/_mock/leader', async (req, reply) => {
    if (req.method === 'PUT') control.faults.leader = (await body(req, LeaderBody)).Leader;
    return json(reply, { Leader: control.faults.leader });
  });

  nodeControlRoutes(ctx, { route, body, json });

  route(['GET', 'DELETE'], '/_mock/requests', (req, reply) => {
    if (req.method === 'DELETE') return json(reply, { Cleared: control.journal.clear() });
    const q = req.query as Record<string, string | undefined>;
    const count = (name: string, min: number): number | undefined => {
      const raw = q[name];
      if (raw === undefined || raw === '') return undefined;
      const n = Number(raw);
      if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min) throw new ControlError(`${name} must be an integer >= ${min}`);
      return n;
    };
    const limit = count('limit', 0);
    const perPage = count('per_page', 1);
    const nextToken = count('next_token', 0);
    const page = control.journal.page({ method: q.method, path: q.path, limit, perPage, nextToken: nextToken === undefined ? undefined : String(nextToken) });
    if (page.nextToken !== '') reply.header('X-Nomad-NextToken', page.nextToken);
    // Entry by entry: a full journal never becomes one string.
    const entries = page.entries;
    return reply
      .code(200)
      .type('application/json')
      .send(
        Readable.from(
          (function* () {
            yield '[';
            for (let i = 0; i < entries.length; i++) yield (i === 0 ? '' : ',') + JSON.stringify(entries[i]);
            yield ']';
          })(),
        ),
      );
  });
}
