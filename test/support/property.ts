/**
 * The time a property test (fast-check, hundreds of runs) may take: its runs are fixed, but on a
 * loaded 2-core machine (a full unit run beside other work, or the extension guide's run in its
 * copy) they take several times vitest's default of 5 s.
 */
export const PROPERTY_TIMEOUT_MS = 30_000;
