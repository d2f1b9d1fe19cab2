import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { build, type Plugin } from "vite";
import { defineConfig } from "vitest/config";

// `npm run dev` serves the client with hot reload and hands everything else to a running `make dev`.
const LOCAL_STACK = "http://127.0.0.1:8000";

/**
 * The service worker, bundled on its own into one classic script at /sw.js: a worker's scope is the
 * folder it is served from, it must not share chunks with the page, and not every browser runs
 * module workers. `npm run build` writes it beside index.html; `npm run dev` builds it on request.
 */
function serviceWorker(): Plugin {
  let root = ".";
  let outDir = "dist";
  let building = false;
  const bundle = async (write: boolean) =>
    build({
      configFile: false,
      root,
      logLevel: "warn",
      build: {
        outDir,
        emptyOutDir: false,
        copyPublicDir: false,
        write,
        target: "es2022",
        sourcemap: false,
        lib: {
          entry: `${root}/src/sw/sw.ts`,
          formats: ["iife"],
          name: "chatServiceWorker",
          fileName: () => "sw.js",
        },
      },
    });
  return {
    name: "chat-service-worker",
    configResolved(config) {
      root = config.root;
      outDir = config.build.outDir;
      building = config.command === "build";
    },
    configureServer(server) {
      server.middlewares.use("/sw.js", (_request, response, next) => {
        bundle(false)
          .then((output) => {
            const [result] = Array.isArray(output) ? output : [output];
            const chunk = result && "output" in result ? result.output[0] : undefined;
            if (!chunk) throw new Error("The service worker did not build.");
            response.setHeader("Content-Type", "text/javascript");
            response.setHeader("Cache-Control", "no-cache");
            response.end(chunk.code);
          })
          .catch(next);
      });
    },
    async closeBundle() {
      if (building) await bundle(true);
    },
  };
}

export default defineConfig({
  plugins: [react(), tailwindcss(), serviceWorker()],
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
