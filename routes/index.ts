import type { App, RouteContext } from './context.js';
import { jobsRoutes } from './jobs.js';
import { jobRoutes } from './job/index.js';
import { namespaceRoutes } from './namespaces.js';
import { validateRoutes } from './validate.js';
import { evaluationRoutes } from './evaluations.js';
import { agentRoutes } from './agent.js';
import { eventRoutes } from './events.js';
import { allocationRoutes } from './allocations.js';
import { deploymentRoutes } from './deployments.js';
import { nodeRoutes } from './nodes.js';
import { aclRoutes } from './acl.js';
import { controlRoutes } from './control.js';
import { systemRoutes } from './system.js';

export function registerRoutes(app: App, ctx: RouteContext): void {
  jobsRoutes(app, ctx);
  jobRoutes(app, ctx);
  namespaceRoutes(app, ctx);
  validateRoutes(app, ctx);
  evaluationRoutes(app, ctx);
  agentRoutes(app, ctx);
  eventRoutes(app, ctx);
  allocationRoutes(app, ctx);
  deploymentRoutes(app, ctx);
  nodeRoutes(app, ctx);
  controlRoutes(app, ctx);
  systemRoutes(app, ctx);
  aclRoutes(app, ctx);
}
