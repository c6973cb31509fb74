import { describe } from 'vitest'
import { runAuthMatrix } from '../helpers/auth-matrix.ts'
import { DIALECTS } from '../helpers/test-database.ts'

// Every /v1 route, enumerated from the route table, against every security case, on every engine.
describe.each(DIALECTS)('auth matrix on %s', (dialect) => {
  runAuthMatrix(dialect)
})
