# The dagkeeper server and its workers: one image, the command (server | worker …) picks the role.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json schema.graphql ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000 DAGKEEPER_DATA=/var/lib/dagkeeper
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json schema.graphql ./
COPY dashboard ./dashboard
COPY prisma ./prisma
COPY bin ./bin
RUN mkdir -p /var/lib/dagkeeper /var/lib/dagkeeper-worker && chown node:node /var/lib/dagkeeper /var/lib/dagkeeper-worker
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --retries=6 CMD node -e "fetch('http://127.0.0.1:4000/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "bin/dagkeeper.js"]
CMD ["server"]
