#!/usr/bin/env node
// `npm test`: lint, typecheck, the vitest suite (SQLite and PostgreSQL), then a scan of every log the suite wrote
// for leaked API keys. Ends with the line CI reads: `N passed, N failed`.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { scanForKeys } from './scan-secrets.mjs'

const results = { passed: 0, failed: 0, skipped: 0 }

function step(name, command, args) {
  process.stdout.write(`\n== ${name}: ${command} ${args.join(' ')}\n`)
  const run = spawnSync(command, args, { stdio: 'inherit', env: process.env })
  const ok = run.status === 0
  process.stdout.write(`== ${name}: ${ok ? 'ok' : 'FAILED'}\n`)
  return ok
}

function check(name, ok) {
  if (ok) results.passed++
  else results.failed++
  if (!ok) process.stdout.write(`check failed: ${name}\n`)
}

rmSync('test-results/logs', { recursive: true, force: true })
mkdirSync('test-results', { recursive: true })
check('lint (biome)', step('lint', 'npx', ['biome', 'check', '.']))
check('typecheck (tsc)', step('typecheck', 'npx', ['tsc', '--noEmit']))

const report = 'test-results/vitest.json'
rmSync(report, { force: true })
const vitestOk = step('tests', 'npx', [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
])
if (existsSync(report)) {
  const json = JSON.parse(readFileSync(report, 'utf8'))
  results.passed += json.numPassedTests
  results.failed += json.numFailedTests
  results.skipped += json.numPendingTests + (json.numTodoTests ?? 0)
  // A suite that crashed before its tests ran has no failed tests but must still fail the run.
  const brokenFiles = json.testResults.filter((file) => file.status === 'failed' && file.assertionResults.length === 0)
  for (const file of brokenFiles) check(`test file ${file.name} did not run`, false)
} else {
  check('vitest produced no report', false)
}
if (!vitestOk && results.failed === 0) check('vitest exited with an error', false)

const logDir = 'test-results/logs'
const logs = existsSync(logDir) ? readdirSync(logDir).map((name) => join(logDir, name)) : []
const leaks = scanForKeys(logs)
for (const leak of leaks) process.stdout.write(`secret in ${leak.file}: ${leak.redacted}\n`)
process.stdout.write(
  `\n== secrets scan: ${logs.length} log files, ${leaks.length} raw keys, webhook secrets or private keys found\n`,
)
check('no raw API key, webhook secret or private key in any log', logs.length > 0 && leaks.length === 0)

if (results.skipped > 0) process.stdout.write(`${results.skipped} skipped\n`)
process.stdout.write(`${results.passed} passed, ${results.failed} failed\n`)
process.exit(results.failed === 0 ? 0 : 1)
