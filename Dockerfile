# syntax=docker/dockerfile:1
# Build stage: compile TypeScript, bundle the server (esbuild) and build the web UI (Vite) with the
# dev toolchain.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
COPY routes ./routes
COPY state ./state
COPY test ./test
COPY bench ./bench
COPY ui ./ui
COPY scripts ./scripts
RUN npx tsc -p tsconfig.json && node scripts/bundle.mjs && npx tsc -p ui/tsconfig.json && npx vite build --config ui/vite.config.ts

# Runtime stage: production dependencies and compiled JavaScript only, run as the unprivileged node user.
FROM node:20-bookworm-slim
# A container must listen on 0.0.0.0 to be reachable through -p, so the control API (/_mock/) is
# reachable too and the server warns at start: pass NOMAD_MOCK_CONTROL_TOKEN (or
# NOMAD_MOCK_CONTROL=false) wherever others can reach the port.
ENV NODE_ENV=production \
    NOMAD_MOCK_BIND=0.0.0.0 \
    NOMAD_MOCK_PORT=4646
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist/bundle ./dist/bundle
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/routes ./dist/routes
COPY --from=build /app/dist/state ./dist/state
COPY --from=build /app/dist/ui ./dist/ui
COPY fixtures ./fixtures
USER node
EXPOSE 4646
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.NOMAD_MOCK_PORT||4646)+'/v1/agent/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form so SIGTERM reaches node directly and the server closes cleanly. ENTRYPOINT, not CMD,
# so `docker run <image> --nodes 3 --region eu` passes flags to nomad-mock (the node image's
# docker-entrypoint.sh would otherwise run them as `node --nodes 3 ...`). dist/bundle/cli.js is the
# server in one file: it starts faster than the module tree it was bundled from.
ENTRYPOINT ["node", "dist/bundle/cli.js"]
CMD []
