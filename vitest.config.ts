import { availableParallelism } from 'node:os'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['./test/global-setup.ts'],
    pool: 'forks',
    // Vitest's default leaves one core free, which on the 2-core CI machines ran the files one at a time (11.5 min).
    // Most files wait on servers, child processes and databases rather than compute, so two at once fit.
    maxWorkers: Math.max(2, availableParallelism()),
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Tests start real servers and databases; a stray open handle must not keep the run alive.
    teardownTimeout: 10_000,
  },
})
