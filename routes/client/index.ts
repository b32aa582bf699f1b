// The `/v1/client/*` endpoints: what a Nomad client agent answers about itself and its allocations.
// Each group of routes lives in its own module; this plugin mounts them.
import type { App, RouteContext } from '../http/context.js';
import { clientMetadataRoutes } from './metadata.js';

export function clientRoutes(app: App, ctx: RouteContext): void {
  clientMetadataRoutes(app, ctx);
}
