// `/v1/client/*`: the endpoints Nomad's agent serves for its client (metadata, files and logs,
// allocation stats, signals and restarts, exec, GC); the agent forwards them to the simulated
// clients. Each area lives in its own module; this plugin mounts them.
import type { App, RouteContext } from '../http/context.js';
import { allocLifecycleRoutes } from './alloc-lifecycle.js';
import { execRoutes } from './exec.js';
import { fsRoutes } from './fs.js';
import { clientMetadataRoutes } from './metadata.js';
import { statsRoutes } from './stats.js';

export function clientRoutes(app: App, ctx: RouteContext): void {
  clientMetadataRoutes(app, ctx);
  allocLifecycleRoutes(app, ctx);
  statsRoutes(app, ctx);
  execRoutes(app, ctx);
  fsRoutes(app, ctx);
}
