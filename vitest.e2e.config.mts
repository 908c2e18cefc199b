import { defineConfig } from "vitest/config";

// End-to-end suite: the real Pulumi engine against the local OpenStack cloud.
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 900_000,
    hookTimeout: 900_000,
  },
});
