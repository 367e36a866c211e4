# One image for the services; docker-compose.yml picks the entry point per service.
# test/foundation/image.test.ts performs this file's build-stage RUN steps and runtime-stage
# copies in a clean folder and starts every service from the result, so a service that needs a
# dev dependency or a file left out here fails the suite, not a deploy.

# Node.js 24 LTS (24.18.0, Debian bookworm slim), pinned by digest so a rebuild gets the same base.
ARG NODE_IMAGE=node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json tsconfig.image.json ./
COPY apps apps
COPY libs libs
COPY scripts/admin.ts scripts/admin.ts
COPY scripts/admin scripts/admin
COPY scripts/stack/paths.ts scripts/stack/paths.ts
RUN npx tsc -p tsconfig.image.json
RUN npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/package.json package.json
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
USER node
# Tracing loads before the service (see libs/observability/src/register.ts); compose overrides
# the entry point per service the same way.
CMD ["node", "--import", "./dist/libs/observability/src/register.js", "dist/apps/api-gateway/src/main.js"]
