// `/v1/client/*`: the endpoints Nomad's agent serves for its client (files and logs, allocation
// stats, signals and restarts, exec, GC). Each area lives in its own module; this plugin mounts them.
import type { App, RouteContext } from '../http/context.js';
import { execRoutes } from './exec.js';
import { fsRoutes } from './fs.js';

export function clientRoutes(app: App, ctx: RouteContext): void {
  execRoutes(app, ctx);
  fsRoutes(app, ctx);
}
