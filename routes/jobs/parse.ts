// `PUT|POST /v1/jobs/parse`: an HCL2 jobspec in, the API Job out (http-semantics §6.11). The agent
// parses it itself (no RPC, no index header); ACL (parse-job or submit-job) is checked by the ACL
// hook before the body is read. HCL problems are 400 `Failed to parse job: <diagnostics>`.
import { Type } from '@sinclair/typebox';
import type { App, RouteContext } from '../http/context.js';
import { HttpError, invalidMethod } from '../http/errors.js';
import { decodeBody } from '../http/body.js';
import { sendJson } from '../http/reply.js';

let hcl: typeof import('../../state/hcl/index.js') | undefined;
import { ErrorText, WriteQuery } from '../http/schemas.js';
import { WRITE, nsCheck, queryNamespace, type AclDecl } from '../acl/rules.js';

interface ParseRequest {
  JobHCL?: string;
  Variables?: string;
  Canonicalize?: boolean;
}

export function parseRoutes(app: App, _ctx: RouteContext): void {
  const schema = {
    querystring: WriteQuery,
    response: { 200: Type.Unknown({ description: 'the parsed job (API struct)' }), '4xx': ErrorText, '5xx': ErrorText },
  };
  const acl: AclDecl = (req) =>
    WRITE.has(req.method) ? { check: nsCheck(['parse-job', 'submit-job'], queryNamespace(req)), agentResolves: true } : null;
  app.all('/v1/jobs/parse', { schema, config: { acl } }, async (req, reply) => {
    if (req.method !== 'PUT' && req.method !== 'POST') throw invalidMethod();
    // Current Nomad's JobsParseRequest has no HCLv1 field: an `hclv1` key is ignored like any
    // unknown key, and the jobspec is parsed as HCL2.
    const body = (decodeBody(req, 'JobsParseRequest') ?? {}) as ParseRequest;
    if (!body.JobHCL) throw new HttpError(400, 'Job spec is empty');
    let job: unknown;
    try {
      // The parser (a WASM grammar and the converter) loads on first use, keeping start-up lean.
      hcl ??= await import('../../state/hcl/index.js');
      job = await hcl.parseJobspec(body.JobHCL, { variables: body.Variables || undefined, canonicalize: body.Canonicalize === true });
    } catch (err) {
      if (hcl && err instanceof hcl.HclError) throw new HttpError(400, `Failed to parse job: ${err.message}`);
      throw err;
    }
    return sendJson(req, reply, job);
  });
}
