// Builds the workbench into the Python package (wenze/serve/static, git-ignored), where
// `wenze serve` serves it at /. The shipped example (examples/caseload.jsonl with
// rules/zitong_2008.wz) is copied in as static files: nothing is fetched from outside.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { defineConfig, type Plugin } from "vite";

const repo = resolve(__dirname, "..");
const EXAMPLES: Record<string, string> = {
  "examples/caseload.jsonl": "examples/caseload.jsonl",
  "examples/zitong_2008.wz": "rules/zitong_2008.wz",
};

function shippedExamples(): Plugin {
  return {
    name: "wenze-shipped-examples",
    generateBundle() {
      for (const [name, from] of Object.entries(EXAMPLES)) {
        this.emitFile({ type: "asset", fileName: name, source: readFileSync(resolve(repo, from)) });
      }
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const name = (req.url ?? "").replace(/^\//, "").split("?")[0];
        if (name in EXAMPLES) {
          res.setHeader("Content-Type", "text/plain; charset=utf-8");
          res.end(readFileSync(resolve(repo, EXAMPLES[name])));
          return;
        }
        next();
      });
    },
  };
}

export default defineConfig({
  base: "./",
  plugins: [shippedExamples()],
  build: {
    outDir: resolve(repo, "wenze/serve/static"),
    emptyOutDir: true,
    target: "es2020",
    chunkSizeWarningLimit: 1000,
  },
  server: {
    // `npm run dev` against a `wenze serve` on :8000
    proxy: { "/v1": "http://127.0.0.1:8000", "/readyz": "http://127.0.0.1:8000" },
  },
});
