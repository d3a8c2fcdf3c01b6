/**
 * A registry's record as the payload schemas read it: Avro's `["null", T]` (and the registry's
 * JSON conversion of it) names an absent optional field `null`, where the payload schemas want it
 * absent. Its own module, so the main bundle (registry-records.ts) and the decoders' bundle
 * (source-decoders.ts) share it without one importing the other.
 */
export function withoutNulls(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) if (field !== null) out[key] = field;
  return out;
}
