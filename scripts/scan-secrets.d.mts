export interface Leak {
  file: string
  /** What was found, shortened so that the report itself does not repeat the secret. */
  redacted: string
}

export function isRealKey(candidate: string): boolean
export function scanForKeys(files: string[]): Leak[]
