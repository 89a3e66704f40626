/** Which JSON Schema draft a tool schema declares. */

const DRAFT_07 = /^https?:\/\/json-schema\.org\/draft-07\/schema#?$/;

/** Whether a `$schema` value declares draft-07. */
export function declaresDraft07(declared: unknown): declared is string {
  return typeof declared === 'string' && DRAFT_07.test(declared);
}
