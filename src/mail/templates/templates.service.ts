import type { Clock } from '../../clock.ts'
import type { Db } from '../../db/database.ts'

/** Templates of an organization. */
export class TemplatesService {
  constructor(readonly deps: { db: Db; clock: Clock }) {}
}
