// `/_mock/*`: the control API (reset, snapshot/restore, clock, forced allocation states, faults,
// the leader switch, the request journal, health). A prefix Nomad never uses, so it cannot collide.
// Inputs are validated with their TypeBox schemas; errors are JSON `{ "Error": "…" }`.
import { Type, type TSchema, type Static } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App, RouteContext } from './context.js';
import { rawBody } from './http/body.js';
import { parseGoDuration } from './http/godur.js';
import { ControlError } from '../src/control/mock-control.js';
import { FaultError } from '../src/control/faults.js';
import { SnapshotError } from '../state/snapshot.js';
import { GoSyntaxError, scanFirstValue } from '../state/jobspec/decode-scanner.js';

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
const LeaderBody = Type.Object({ Leader: Type.Boolean() }, { additionalProperties: false });

function fail(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).type('application/json').send(JSON.stringify({ Error: message }));
}

// The value checker is only needed when a control call arrives; loading it lazily keeps start-up lean.
let checker: typeof import('@sinclair/typebox/value').Value | undefined;

/** A body that is not JSON, described as Go's decoder would (JSON.parse's own text is V8's). */
function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    let why = 'invalid character after top-level value';
    try {
      scanFirstValue(raw);
    } catch (err) {
      if (err instanceof GoSyntaxError) why = err.message;
    }
    throw new ControlError(`invalid JSON body: ${why}`);
  }
}

/** Parses and validates a JSON body against its schema; an empty body is `{}` where allowed. */
async function body<S extends TSchema>(req: FastifyRequest, schema: S, emptyOk = false): Promise<Static<S>> {
  checker ??= (await import('@sinclair/typebox/value')).Value;
  const Value = checker;
  const raw = rawBody(req);
  let doc: unknown = {};
  if (raw.length > 0) {
    doc = parseJson(raw);
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
    app.all(url, async (req, reply) => {
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

  route('GET', '/_mock/health', (_req, reply) => json(reply, { Status: 'ok' }));
  route('GET', '/_mock/ready', (_req, reply) => json(reply, { Ready: true, Index: ctx.store.index }));

  route('POST', '/_mock/reset', async (req, reply) => json(reply, control.reset((await body(req, ResetBody, true)).Namespace)));

  route('GET', '/_mock/snapshot', (_req, reply) => json(reply, control.snapshot()));
  route(['PUT', 'POST'], '/_mock/restore', (req, reply) => {
    const raw = rawBody(req);
    if (raw.length === 0) throw new ControlError('request body is empty');
    control.restore(parseJson(raw));
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
    return json(reply, await control.advance(ms));
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

  route(['GET', 'PUT'], '/_mock/leader', async (req, reply) => {
    if (req.method === 'PUT') control.faults.leader = (await body(req, LeaderBody)).Leader;
    return json(reply, { Leader: control.faults.leader });
  });

  route(['GET', 'DELETE'], '/_mock/requests', (req, reply) => {
    if (req.method === 'DELETE') return json(reply, { Cleared: control.journal.clear() });
    const q = req.query as Record<string, string | undefined>;
    const limit = q.limit === undefined ? undefined : Number(q.limit);
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) throw new ControlError('limit must be a non-negative integer');
    return json(reply, control.journal.list({ method: q.method, path: q.path, limit }));
  });
}
