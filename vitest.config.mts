import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Each file gets its own process: Pulumi's mock runtime is process-global state.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 600_000,
  },
});
