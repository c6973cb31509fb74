import type { Clock } from '../clock.ts'
import type { Db } from '../db/database.ts'

/** Audiences of an organization. */
export class AudiencesService {
  constructor(readonly deps: { db: Db; clock: Clock }) {}
}
