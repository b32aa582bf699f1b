import type { App, RouteContext } from './http/context.js';
import { jobsRoutes } from './jobs/index.js';
import { jobRoutes } from './jobs/job.js';
import { jobActionRoutes } from './jobs/action.js';
import { namespaceRoutes } from './namespaces/index.js';
import { validateRoutes } from './jobs/validate.js';
import { evaluationRoutes } from './evaluations/index.js';
import { agentRoutes } from './agent/index.js';
import { eventRoutes } from './events/index.js';
import { allocationRoutes } from './allocations/index.js';
import { deploymentRoutes } from './deployments/index.js';
import { nodeRoutes } from './nodes/index.js';
import { nodePoolRoutes } from './nodepools/index.js';
import { operatorRoutes } from './operator/index.js';
import { aclRoutes } from './acl/index.js';
import { controlRoutes } from './control/index.js';
import { systemRoutes } from './system/index.js';
import { variableRoutes } from './variables/index.js';
import { searchRoutes } from './search/index.js';
import { scalingRoutes } from './scaling/index.js';
import { volumeRoutes } from './volumes/index.js';
import { serviceRoutes } from './services/index.js';
import { metricsRoutes } from './metrics/index.js';
import { clientRoutes } from './client/index.js';
import { uiRoutes } from './ui/index.js';
import { declaredMethods } from './http/method-routing.js';

const undeclared = new WeakMap<object, string[]>();

/**
 * Routes mounted on `app` without an ACL declaration (`config.acl`, see acl/rules.ts). The
 * authorizer lets only management tokens through them; test/route-acl.test.ts keeps this empty.
 */
export function undeclaredRoutes(app: App): string[] {
  return undeclared.get(app) ?? [];
}

/** Mounts every area's routes; each declares its ACL capability where it is declared. */
export function registerRoutes(app: App, ctx: RouteContext): void {
  const missing: string[] = [];
  undeclared.set(app, missing);
  app.addHook('onRoute', (route) => {
    if (route.config?.acl !== undefined) return;
    missing.push(`${declaredMethods(route).join(',')} ${route.url}`);
  });
  jobsRoutes(app, ctx);
  jobRoutes(app, ctx);
  jobActionRoutes(app, ctx);
  namespaceRoutes(app, ctx);
  validateRoutes(app, ctx);
  evaluationRoutes(app, ctx);
  agentRoutes(app, ctx);
  eventRoutes(app, ctx);
  allocationRoutes(app, ctx);
  deploymentRoutes(app, ctx);
  nodeRoutes(app, ctx);
  nodePoolRoutes(app, ctx);
  operatorRoutes(app, ctx);
  controlRoutes(app, ctx);
  systemRoutes(app, ctx);
  variableRoutes(app, ctx);
  aclRoutes(app, ctx);
  searchRoutes(app, ctx);
  scalingRoutes(app, ctx);
  volumeRoutes(app, ctx);
  serviceRoutes(app, ctx);
  metricsRoutes(app, ctx);
  clientRoutes(app, ctx);
  uiRoutes(app, ctx);
}

// What the server factory needs from the HTTP layer besides the routes: src/ reaches routes/ only here.
export type { App, RouteContext } from './http/context.js';
export { routeConfig } from './http/context.js';
export { HttpError } from './http/errors.js';
export { dropQueuedHeaders, flushQueuedHeaders, sendError } from './http/reply.js';
export { encodeBody } from './http/compress.js';
export { goJson } from './http/go-json.js';
export { notFoundHandler } from './http/fallback.js';
export { UpgradeGate } from './http/websocket.js';
export { lookUpEveryMethodAsGet, methodForLookup, ownMethod } from './http/method-routing.js';
export { isUiPath } from './ui/index.js';
export {
  GO_MAX_HEADER_BYTES,
  INTERNAL_ERROR_TEXT,
  REPLAY_CONNECTION_FAULT,
  answerAsGoServer,
  clientErrorHandler,
  frameworkErrors,
  serveLikeGo,
} from './http/client-errors.js';
