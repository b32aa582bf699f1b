// Concurrent writers over a real socket (issue 10): EnforceIndex registers racing on the same
// JobModifyIndex leave exactly one winner per index, and a short churn of register/stop/revert/
// scale/dispatch on the same jobs with the simulator running leaves the store invariants intact
// (`npm run churn` is the 30 s version).
import t from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer } from '../src/server.js';
import { minimalJob } from './helpers.js';
import { checkInvariants } from './fuzz/invariants.js';
import { Transport } from './fuzz/transport.js';
import { runChurn } from './fuzz/churn.js';
import { explain } from './fuzz/runner.js';

interface Answer {
  status: number;
  body: string;
}

function put(port: number, agent: http.Agent, path: string, body: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const text = JSON.stringify(body);
    const req = http.request({ host: '127.0.0.1', port, path, method: 'PUT', agent, headers: { 'Content-Length': Buffer.byteLength(text) } }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

t.test('64 concurrent EnforceIndex writers with the same JobModifyIndex: exactly one wins each round', async (t) => {
  const mock = createServer({ logLevel: 'silent', clock: 'manual' }, undefined, { simulate: true });
  await mock.app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => mock.app.close());
  const port = (mock.app.server.address() as AddressInfo).port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  t.teardown(() => agent.destroy());

  let modifyIndex = 0;
  for (let round = 0; round < 5; round++) {
    const answers = await Promise.all(
      Array.from({ length: 64 }, (_, w) => put(port, agent, '/v1/jobs', { Job: minimalJob('race', { Meta: { writer: `${round}-${w}` } }), EnforceIndex: true, JobModifyIndex: modifyIndex })),
    );
    const winners = answers.filter((a) => a.status === 200);
    const losers = answers.filter((a) => a.status !== 200);
    t.equal(winners.length, 1, `round ${round}: one winner`);
    const want =
      modifyIndex === 0 ? 'Enforcing job modify index 0: job already exists' : new RegExp(`^Enforcing job modify index ${modifyIndex}: job exists with conflicting job modify index: \\d+$`);
    t.ok(
      losers.every((a) => a.status === 500 && (typeof want === 'string' ? a.body === want : want.test(a.body))),
      `round ${round}: the 63 others get Nomad's 500 (${losers[0]?.status} ${losers[0]?.body})`,
    );
    modifyIndex = JSON.parse(winners[0]!.body).JobModifyIndex as number;
    const job = (await mock.app.inject({ url: '/v1/job/race' })).json();
    t.equal(job.JobModifyIndex, modifyIndex, `round ${round}: the job holds the winner's index`);
    t.match(job.Meta.writer, new RegExp(`^${round}-\\d+$`), 'the stored spec is one of this round’s writers');
  }
  const versions = (await mock.app.inject({ url: '/v1/job/race/versions' })).json();
  t.same(
    versions.Versions.map((v: { Version: number }) => v.Version),
    [4, 3, 2, 1, 0],
    'one version per round',
  );
  const transport = new Transport('127.0.0.1', port);
  t.teardown(() => transport.close());
  t.same(await checkInvariants((r) => transport.send(r)), [], 'the store invariants hold');
});

t.test('concurrent register/stop/revert/scale/dispatch churn leaves the invariants intact', async (t) => {
  const r = await runChurn({ seconds: 4, workers: 8, seed: 7 });
  t.comment(`${r.requests} requests; ${JSON.stringify(r.histogram)}; ${r.jobs} jobs, ${r.allocs} allocs at the end`);
  t.ok(r.requests > 50, 'the churn made progress');
  t.ok((r.operations.register?.['200'] ?? 0) > 0 && (r.operations.stop?.['200'] ?? 0) > 0, 'writes went through');
  t.same(r.invariantProblems, [], 'the store invariants hold afterwards');
  for (const f of r.failures.slice(0, 10)) t.fail(explain(f, 7));
  t.equal(r.failures.length, 0, 'every answer is Nomad-shaped');
});
