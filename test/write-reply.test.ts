// A register's reply text is spelled out (routes/jobs/write-reply.ts) rather than made by
// JSON.stringify: it must be the very text goJson writes for the reply, or nothing (goJson then
// writes it), whatever the reply's IDs, warnings and numbers.
import t from 'tap';
import { writeReplyJson } from '../routes/jobs/write-reply.js';
import { goJson } from '../routes/http/go-json.js';
import type { WriteReply } from '../state/jobs/ops.js';
import { createServer } from '../src/server.js';

const reply = (over: Partial<WriteReply>): WriteReply => ({
  EvalID: '6f0c3a54-2b1e-4f7d-9c1a-0e4b6d2f8a31',
  EvalCreateIndex: 12,
  JobModifyIndex: 12,
  Warnings: '',
  Index: 12,
  LastContact: 0,
  KnownLeader: false,
  NextToken: '',
  ...over,
});

t.test('the spelled-out reply is the text goJson writes, or nothing where a value needs escaping', async (t) => {
  const texts = ['', 'e', 'a"b', 'a\\b', 'tab\there', 'new\nline', 'häßlich', '\u2028', '\u2029', '😀', '\x7f', '\x1f', '~ !#$%&()*+,-./:;<=>?@[]^_`{|}'];
  const numbers = [0, 1, 12, 2 ** 53 - 1, 2 ** 53, 1.5, -1, Number.NaN, Number.POSITIVE_INFINITY];
  let spelled = 0;
  let fallback = 0;
  for (const s of texts) {
    for (const r of [reply({ EvalID: s }), reply({ Warnings: s }), reply({ NextToken: s })]) {
      const text = writeReplyJson(r);
      if (text === undefined) fallback++;
      else {
        spelled++;
        t.equal(text, goJson(r), JSON.stringify(s));
      }
    }
  }
  for (const n of numbers) {
    for (const r of [reply({ Index: n }), reply({ EvalCreateIndex: n }), reply({ JobModifyIndex: n }), reply({ LastContact: n })]) {
      const text = writeReplyJson(r);
      if (text === undefined) fallback++;
      else {
        spelled++;
        t.equal(text, goJson(r), String(n));
      }
    }
  }
  t.equal(writeReplyJson(reply({ KnownLeader: true })), goJson(reply({ KnownLeader: true })));
  t.ok(spelled > 20 && fallback > 10, `both ways taken (${spelled} spelled, ${fallback} left to goJson)`);
});

t.test('a register answers the reply goJson writes, warnings with quotes included', async (t) => {
  const m = createServer({ clock: 'manual', seed: 'write-reply', logLevel: 'silent' });
  t.teardown(() => m.app.close());
  const job = (id: string, extra: Record<string, unknown> = {}): string =>
    JSON.stringify({ Job: { ID: id, TaskGroups: [{ Name: 'web', Tasks: [{ Name: 't', Driver: 'docker', Resources: { CPU: 100, MemoryMB: 64, MemoryMaxMB: 256 } }] }], ...extra } });
  for (const [id, extra] of [['plain', {}], ['plain', { Meta: { k: 'v' } }], ['periodic', { Type: 'batch', Periodic: { Spec: '*/5 * * * *' } }]] as const) {
    const res = await m.app.inject({ method: 'PUT', url: '/v1/jobs', payload: job(id, extra) });
    t.equal(res.statusCode, 200);
    const parsed = JSON.parse(res.body) as WriteReply;
    t.equal(res.body, goJson(parsed), `${id}: the reply as goJson writes it`);
    t.equal(res.headers['x-nomad-index'], String(parsed.Index));
    // The task's memory_max draws a warning (oversubscription is off), which holds quotes.
    t.match(parsed.Warnings, /"web\.t"/);
  }
});
