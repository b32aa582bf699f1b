// The response schemas each route declares match what the route really sends.
import t from 'tap';
import { Value } from '@sinclair/typebox/value';
import type { TSchema } from '@sinclair/typebox';
import { client, minimalJob } from './helpers.js';
import {
  Job,
  JobDeregisterResponse,
  JobListStub,
  JobRegisterResponse,
  JobSubmission,
  JobSummary,
  JobVersionsResponse,
  StableResponse,
} from '../routes/jobs/schemas.js';
import { Namespace } from '../routes/namespaces/index.js';
import { JobValidateResponse } from '../routes/jobs/validate.js';

/** The first few schema violations, as `path: message`; empty when the value conforms. */
const violations = (schema: TSchema, value: unknown): string[] =>
  [...Value.Errors(schema, value)].slice(0, 3).map((e) => `${e.path}: ${e.message}`);

t.test('job route responses conform to their declared schemas', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const reg = await c.register(minimalJob('web'), { Submission: { Source: 'job "web" {}', Format: 'hcl2' } });
  t.same(violations(JobRegisterResponse, reg.json), [], 'register response');
  t.same(violations(Job, (await c.get('/v1/job/web')).json), [], 'job');
  for (const stub of (await c.get('/v1/jobs?meta=true')).json) t.same(violations(JobListStub, stub), [], 'list stub');
  t.same(violations(JobSummary, (await c.get('/v1/job/web/summary')).json), [], 'summary');
  t.same(violations(JobSubmission, (await c.get('/v1/job/web/submission?version=0')).json), [], 'submission');
  t.same(violations(StableResponse, (await c.put('/v1/job/web/stable', { JobID: 'web', JobVersion: 0, Stable: true })).json), [], 'stable');
  t.same(violations(JobDeregisterResponse, (await c.del('/v1/job/web')).json), [], 'deregister');
  t.same(violations(JobVersionsResponse, (await c.get('/v1/job/web/versions?diffs=true')).json), [], 'versions');
  t.same(violations(JobValidateResponse, (await c.put('/v1/validate/job', { Job: minimalJob('v') })).json), [], 'validate');
  for (const ns of (await c.get('/v1/namespaces')).json) t.same(violations(Namespace, ns), [], 'namespace');
});
