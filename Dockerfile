# syntax=docker/dockerfile:1
# Build stage: install everything, compile TypeScript, copy the plain-JS helpers, drop dev deps.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime stage: git for workspaces, the compiled app, and an unprivileged user.
FROM node:22-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*
# The agents a runner may start, installed globally from npm, e.g.
#   docker compose build --build-arg AGENT_NPM_PACKAGES="@anthropic-ai/claude-code @openai/codex"
ARG AGENT_NPM_PACKAGES=""
RUN if [ -n "$AGENT_NPM_PACKAGES" ]; then npm install -g $AGENT_NPM_PACKAGES && npm cache clean --force; fi
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    FLEET_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json app.yml ./
COPY bin ./bin
COPY migrations ./migrations
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
# Servers and runners both answer /healthz on PORT. Startup applies migrations: give it time.
HEALTHCHECK --interval=30s --timeout=3s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# tini forwards signals (so SIGTERM reaches `fleet runner --drain`) and reaps exited agents.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "bin/fleet.js"]
CMD ["start"]
