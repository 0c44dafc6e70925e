# syntax=docker/dockerfile:1
# AtlasLens: build stage compiles TypeScript; runtime stage has production dependencies only and runs as non-root.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p tsconfig.json

FROM node:20-bookworm-slim AS runtime
ENV ATLASLENS_HOST=0.0.0.0 \
    ATLASLENS_PORT=3000 \
    ATLASLENS_DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY views ./views
COPY public ./public
COPY bin ./bin
# The embedded store (used only when ATLASLENS_MONGODB_URI is unset) keeps its files in /data.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
# Secrets: prefer ATLASLENS_ENCRYPTION_KEY_FILE / ATLASLENS_JWT_SECRET_FILE / ATLASLENS_MONGODB_URI_FILE pointing at
# mounted secrets (e.g. /run/secrets/...) over plain environment variables.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.ATLASLENS_PORT || 3000) + '/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/server.js"]
