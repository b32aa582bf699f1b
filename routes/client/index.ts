// The `/v1/client/*` endpoints a Nomad client agent serves for its allocations (Nomad's
// ClientAllocRequest, FsRequest, …). Each area lives in its own module; this plugin mounts them.
import type { App, RouteContext } from '../http/context.js';
import { execRoutes } from './exec.js';

export function clientRoutes(app: App, ctx: RouteContext): void {
  execRoutes(app, ctx);
}
