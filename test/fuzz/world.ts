// What the fuzzer has learnt about the server so far (IDs it can aim at), scraped from answers.
import type { FuzzRequest, FuzzResponse } from './transport.js';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const KEEP = 64;

export interface Token {
  AccessorID: string;
  SecretID: string;
}

export class World {
  readonly allocs: string[] = [];
  readonly evals: string[] = [];
  readonly deployments: string[] = [];
  readonly nodes: string[] = [];
  /** Job IDs beyond the fixed pool (dispatched and periodic children). */
  readonly children: string[] = [];
  readonly tokens: Token[] = [];
  readonly faults: string[] = [];
  /** The management token of an ACL-mode server (from bootstrap). */
  management = '';
  /** A recent snapshot's text, for restore round trips. */
  snapshot = '';
  /** The management token that was valid when `snapshot` was taken (a restore brings it back). */
  snapshotToken = '';

  constructor(readonly acl: boolean) {}

  private static add(list: string[], ids: Iterable<string>): void {
    for (const id of ids) {
      if (list.includes(id)) continue;
      list.push(id);
      if (list.length > KEEP) list.shift();
    }
  }

  learn(req: FuzzRequest, res: FuzzResponse): void {
    if (res.status !== 200 || req.raw) return;
    const path = req.path.split('?')[0]!;
    const body = res.body;
    if (body.length > 2_000_000) return;
    const ids = (): string[] => body.match(UUID) ?? [];
    if (/^\/v1\/(allocations|job\/.*\/allocations|node\/.*\/allocations|evaluation\/.*\/allocations|deployment\/allocations)/.test(path)) World.add(this.allocs, ids());
    else if (/^\/v1\/(evaluations|job\/.*\/evaluations)$/.test(path)) World.add(this.evals, ids());
    else if (/^\/v1\/(deployments|job\/.*\/deployments?)$/.test(path)) World.add(this.deployments, ids());
    else if (path === '/v1/nodes') World.add(this.nodes, ids());
    // The node a control call added leads its answer: {"Node":{"ID":…}}.
    else if (path === '/_mock/nodes') World.add(this.nodes, (/^\{"Node":\{"ID":"([^"]+)"/.exec(body)?.[1] ?? '').split(' ').filter(Boolean));
    if (/^\/v1\/(jobs|job\/[^?]*)$/.test(path) && req.method !== 'GET' && res.body.startsWith('{')) {
      try {
        const doc = JSON.parse(body) as { EvalID?: string; DispatchedJobID?: string };
        if (doc.EvalID) World.add(this.evals, [doc.EvalID]);
        if (doc.DispatchedJobID) World.add(this.children, [doc.DispatchedJobID]);
      } catch {
        /* not JSON */
      }
    }
    if (path === '/v1/jobs' && req.method === 'GET' && body.startsWith('[')) {
      const kids = [...body.matchAll(/"ID":"([^"]*\/(?:dispatch|periodic)-[^"]*)"/g)].map((m) => m[1]!);
      World.add(this.children, kids);
    }
    if ((path === '/v1/acl/token' || path === '/v1/acl/bootstrap') && body.startsWith('{')) {
      try {
        const t = JSON.parse(body) as Token;
        if (t.SecretID) {
          this.tokens.push({ AccessorID: t.AccessorID, SecretID: t.SecretID });
          if (this.tokens.length > 16) this.tokens.shift();
          if (path === '/v1/acl/bootstrap') this.management = t.SecretID;
        }
      } catch {
        /* not JSON */
      }
    }
    if (path === '/_mock/faults' && req.method === 'POST' && body.startsWith('{')) {
      try {
        World.add(this.faults, [(JSON.parse(body) as { ID: string }).ID]);
      } catch {
        /* not JSON */
      }
    }
    if (path === '/_mock/snapshot' && body.length < 1_000_000) {
      this.snapshot = body;
      this.snapshotToken = this.management;
    }
  }
}
