import { defineConfig } from "vitest/config";

// Crash matrix: kill -9 of the real engine at many points of up and destroy on the local cloud and controller nodes
// in namespaces, each followed by the documented repair. Long (about two minutes per point), hence its own suite.
export default defineConfig({
  test: {
    include: ["test/crash/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 900_000,
    hookTimeout: 900_000,
  },
});
