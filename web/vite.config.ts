import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// `npm run dev` serves the client with hot reload and hands everything else to a running `make dev`.
const LOCAL_STACK = "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react(), tailwindcss()],
  build: { target: "es2022", sourcemap: false },
  server: {
    proxy: {
      "/api": LOCAL_STACK,
      "/config.json": LOCAL_STACK,
      "/media": LOCAL_STACK,
      "/ws": { target: LOCAL_STACK, ws: true },
    },
  },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
