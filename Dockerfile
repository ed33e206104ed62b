# One image per service: docker build --build-arg APP=auth-service|orders-service|game-service .
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY libs/contract/package.json libs/contract/
COPY libs/revocation-guard/package.json libs/revocation-guard/
COPY libs/service-kit/package.json libs/service-kit/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ARG APP=auth-service
ENV NODE_ENV=production APP=${APP} HOST=0.0.0.0
WORKDIR /app
COPY --from=build --chown=node:node /app /app
USER node
CMD ["sh", "-c", "exec node apps/${APP}/dist/main.js"]
