/**
 * The zod that function code uses: `zod/mini`, zod 4's functional API over the same core (the same
 * parsing, issues and messages as the classic `z`), which esbuild can tree-shake — the classic
 * namespace carries every schema and method into each bundle (≈ 440 KiB of its 1.5 MB). Infra,
 * scripts and tests may keep the classic `zod`: both build on one core, so their schemas mix.
 *
 * Unlike the classic API, zod/mini loads no locale by itself (every message would read "Invalid
 * input"): English is configured here, once, before any schema in the functions parses — every
 * module with schemas imports `z` from this one.
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

// Consumers import it as a namespace (`import * as z`): esbuild keeps only the members they use.
export * from 'zod/mini';
