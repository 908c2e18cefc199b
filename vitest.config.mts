import { defineConfig } from "vitest/config";

// Unit suite: Pulumi mocks only, no network, no root. Must stay well under a minute.
export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts"],
    pool: "forks",
    // Vitest's default in a run is one worker fewer than the cores, which on a two-core machine runs the files one
    // after the other (64 s here instead of 40 s). The files listen only on ports the system picks and write only to
    // their own temporary directories, so every core can take one.
    maxWorkers: "100%",
    testTimeout: 20_000,
  },
});
