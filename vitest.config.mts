import { defineConfig } from "vitest/config";

// Unit suite: Pulumi mocks only, no network, no root. Must stay well under a minute.
export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts"],
    pool: "forks",
    testTimeout: 20_000,
  },
});
