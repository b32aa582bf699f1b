// The `/v1/client/*` endpoints a Nomad client serves (the agent forwards them to the simulated
// clients); each area of them is its own module.
import type { App, RouteContext } from '../http/context.js';
import { allocLifecycleRoutes } from './alloc-lifecycle.js';
import { statsRoutes } from './stats.js';

export function clientRoutes(app: App, ctx: RouteContext): void {
  allocLifecycleRoutes(app, ctx);
  statsRoutes(app, ctx);
}
