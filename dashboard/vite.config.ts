/// <reference types="vitest/config" />
// The dashboard is served by the API at `/` (dashboard/dist); `npm run dev` proxies the API.
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

const api = process.env.CREAM_API_URL ?? "http://127.0.0.1:3001";

export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", sourcemap: true, chunkSizeWarningLimit: 1024 },
  server: {
    port: 5173,
    proxy: {
      "/api": api,
      "/health": api,
      "/ws": { target: api.replace(/^http/, "ws"), ws: true },
    },
  },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
