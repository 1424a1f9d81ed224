# syntax=docker/dockerfile:1
# One multi-stage build for the three services: they share the workspace (protocol, storage, server kit),
# so each service is a final stage of its own (`--target manufacturer|rendezvous|owner|migrate`), built
# from the same compiled tree and the same production dependencies.
#
#   docker build --target rendezvous -t fdo-rendezvous .
#
# Images run as the unprivileged `node` user, keep their state in /data, and listen on 0.0.0.0.

ARG NODE_IMAGE=node:20-bookworm-slim

# Compilers for the one native addon (better-sqlite3 builds from source; nothing is downloaded).
FROM ${NODE_IMAGE} AS toolchain
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app

# Every workspace manifest first, so dependency layers are cached across source changes.
FROM toolchain AS manifests
COPY package.json package-lock.json ./
COPY packages/protocol/package.json packages/protocol/
COPY packages/storage/package.json packages/storage/
COPY packages/client-kit/package.json packages/client-kit/
COPY packages/server-kit/package.json packages/server-kit/
COPY packages/device-client/package.json packages/device-client/
COPY services/manufacturer/package.json services/manufacturer/
COPY services/rendezvous/package.json services/rendezvous/
COPY services/owner/package.json services/owner/

FROM manifests AS build
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY tsconfig ./tsconfig
COPY prisma ./prisma
COPY packages ./packages
COPY services ./services
RUN npm run build

FROM manifests AS production-dependencies
RUN npm ci --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production FDO_LOG_FORMAT=json
WORKDIR /app
COPY --from=production-dependencies /app/node_modules ./node_modules
COPY --from=build /app/package.json ./
COPY --from=build /app/prisma/migrations ./prisma/migrations
COPY --from=build /app/packages ./packages
COPY --from=build /app/services ./services
# Workspace packages keep only what runs: compiled code, launchers, the generated Prisma clients.
RUN find packages services -mindepth 2 -maxdepth 2 \( -name src -o -name test -o -name bench -o -name 'tsconfig*.json' \) -prune -exec rm -rf {} + \
 && mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]

FROM runtime AS migrate
CMD ["node", "packages/storage/bin/fdo-db.js", "migrate"]

FROM runtime AS manufacturer
ENV FDO_MFG_HOST=0.0.0.0 FDO_MFG_DATA_DIR=/data
EXPOSE 8039
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD ["node", "packages/server-kit/bin/fdo-probe.js", "8039"]
CMD ["node", "services/manufacturer/bin/fdo-manufacturer.js", "serve"]

FROM runtime AS rendezvous
ENV FDO_RV_HOST=0.0.0.0 FDO_RV_DATA_DIR=/data
EXPOSE 8040
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD ["node", "packages/server-kit/bin/fdo-probe.js", "8040"]
CMD ["node", "services/rendezvous/bin/fdo-rendezvous.js", "serve"]

FROM runtime AS owner
ENV FDO_OWNER_HOST=0.0.0.0 FDO_OWNER_DATA_DIR=/data
EXPOSE 8042
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD ["node", "packages/server-kit/bin/fdo-probe.js", "8042"]
CMD ["node", "services/owner/bin/fdo-owner.js", "serve"]
