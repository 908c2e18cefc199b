import { defineConfig } from "vitest/config";

// Host suite: real Open vSwitch, sshd, dnsmasq, iptables in network namespaces (needs root).
// Files run one after another: namespaces and OVS daemons are machine-wide state.
export default defineConfig({
  test: {
    include: ["test/host/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
