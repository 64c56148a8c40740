# syntax=docker/dockerfile:1
# Safetynet: multi-stage build on the official image of Node 24, the active LTS (20 reached its
# end of life on 2026-04-30). The runtime stage runs as the non-root `node` user under tini.
# With DATABASE_URL unset it starts the embedded PostgreSQL (shipped in npm) under
# SAFETYNET_HOME, which must then be a volume.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY jobs ./jobs
COPY scoring ./scoring
COPY migrations ./migrations
# npm ci runs `prepare`, the TypeScript build; then the dev dependencies go
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:24-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
# the heap cap keeps Node under 300 MB of RSS whatever the city (issue 5): the run streams, so
# what V8 would otherwise grow into is garbage, not data (bench/results.md measures it the same way)
ENV NODE_ENV=production \
    TZ=Asia/Shanghai \
    SAFETYNET_HOME=/var/lib/safetynet \
    NODE_OPTIONS=--max-old-space-size=160
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
COPY --chown=node:node bin ./bin
COPY --chown=node:node fixtures ./fixtures
RUN mkdir -p /var/lib/safetynet /srv/inbox && chown node:node /var/lib/safetynet /srv/inbox
USER node
VOLUME ["/var/lib/safetynet", "/srv/inbox"]
# tini reaps zombies and hands `docker stop`'s SIGTERM to node alone, not with -g to the whole
# process group: the embedded PostgreSQL is node's child in that group, and a SIGTERM of its own
# shuts it down to new connections at once, so the interrupted run could not record itself in the
# ledger (tried: "could not record the failed run ... the database system is shutting down", the
# run left `running`). Node stops its children itself: the run rolls back, the ledger says
# "interrupted by SIGTERM", then the server and any browser stop, within 8 s (src/main.ts).
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/safetynet.js"]
# Healthy while the scheduler's last tick succeeded or waits for late files and one finished
# within operation.heartbeatMaxAgeHours (26 h for the daily default): `status` reads only
# SAFETYNET_HOME/heartbeat.json, no database. It exits 11 when unhealthy; Docker wants 1.
HEALTHCHECK --interval=5m --timeout=30s --start-period=2m --retries=1 \
  CMD node /app/bin/safetynet.js status || exit 1
# Unattended by default. Mount the config (operation.sources or operation.inbox, schedule) and
# point SAFETYNET_CONFIG at it; set DATABASE_URL for an external server, else the embedded one
# keeps its data in the /var/lib/safetynet volume. Any other command runs once:
#   docker run --rm -v data:/var/lib/safetynet IMAGE runs
CMD ["schedule"]
