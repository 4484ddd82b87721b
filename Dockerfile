# Conduit worker / setup / codec image. Stateless: all state is in Postgres and Temporal.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
USER node
CMD ["npx", "tsx", "workers/main.ts"]
