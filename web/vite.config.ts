// Build of the web console: root web/, output dist/web (served by `vigil serve` with SPA fallback).

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 900,
  },
  server: {
    // `npx vite --config web/vite.config.ts` against a running `vigil serve` (VIGIL_URL, default :8080).
    proxy: {
      '/api': { target: process.env.VIGIL_URL ?? 'http://127.0.0.1:8080', changeOrigin: false, ws: true },
    },
  },
});
