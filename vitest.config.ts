import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    setupFiles: ['test/setup.ts'],
    env: { AWS_EC2_METADATA_DISABLED: 'true' },
    testTimeout: 20_000,
    restoreMocks: true,
  },
});
