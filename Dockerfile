# One image for the three services; docker-compose.yml picks the entry point per service.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps apps
COPY libs libs
COPY tools tools
COPY scripts scripts
COPY bench bench
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
USER node
# Tracing loads before the service (see libs/observability/src/register.ts); compose overrides
# the entry point per service the same way.
CMD ["node", "--import", "./dist/libs/observability/src/register.js", "dist/apps/api-gateway/src/main.js"]
