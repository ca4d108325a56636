import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The dev server forwards the API (and its live WebSocket) to a hub on this machine,
// so `npm run dev` works against `npm start` with no CORS set-up. Override with WARDEN_HUB_URL.
const hubUrl = process.env.WARDEN_HUB_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  // The hub serves the build at "/" with an SPA fallback to index.html.
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No source maps in the served build: the hub serves dist/ to anyone who can reach it.
    sourcemap: false,
    // recharts is loaded on demand (React.lazy) and is the only large chunk.
    chunkSizeWarningLimit: 600,
  },
  server: {
    port: 5173,
    proxy: {
      // Most specific first: the live stream is a WebSocket upgrade.
      '/api/live': { target: hubUrl, ws: true },
      '/api': { target: hubUrl },
    },
  },
  preview: {
    proxy: {
      '/api/live': { target: hubUrl, ws: true },
      '/api': { target: hubUrl },
    },
  },
});
