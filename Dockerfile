# One image for the hub and the edge agents (they share the workspace); the
# compose file picks the command. ffmpeg is there for camera snapshots; the CJK font
# for the Chinese of receipts and letters (PDFs embed it, see hub/src/billing/pdf-document.ts).
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg ca-certificates fonts-noto-cjk && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY protocols/package.json protocols/
COPY hub/package.json hub/
COPY edge-agent/package.json edge-agent/
COPY simulators/package.json simulators/
COPY dashboard/package.json dashboard/
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build --workspace dashboard && mkdir -p /app/data/queue && chown -R node:node /app
USER node
ENV NODE_ENV=production HTTP_PORT=8080 DATA_DIR=/app/data
EXPOSE 8080 1883
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s CMD node -e "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||8080)+'/api/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["npx", "tsx", "hub/src/main.ts"]
