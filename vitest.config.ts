import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Property-based suites and emulator suites run longer than unit tests.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // A suite that finds no tests must fail, not pass silently.
    passWithNoTests: false,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
