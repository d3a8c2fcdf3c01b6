/**
 * The database users' names, one source for the stack (infra/lib/database/: secrets, rotation,
 * RDS Proxy; infra/lib/database.ts: IAM authentication) and the local database (scripts/local/database.ts), which
 * creates the same users. What each may do is db/users.ts.
 *
 * Alternating-users rotation creates `<user>_clone`, and the hosted rotation functions released
 * before December 2023 (older application versions an account, or a partition CDK pins, may still
 * run) refuse a clone name over 16 characters; so every name here has at most 10
 * (test/infra/resources.test.ts checks them).
 */
import { CLONE_SUFFIX } from '../../db/users.ts';

export const MASTER_USER = 'lrt_admin';
export const APP_USER = 'lrt_app';
/** Runs the migrations (schema changes, data fixes); was `lrt_migrator`, whose clone had 18 characters. */
export const MIGRATOR_USER = 'lrt_schema';

/** What alternating-users rotation appends to the user it clones (db/users.ts). */
export const ROTATION_CLONE_SUFFIX = CLONE_SUFFIX;
export const MAX_ROTATION_CLONE_NAME_LENGTH = 16;
export const DATABASE_USERS = [MASTER_USER, APP_USER, MIGRATOR_USER] as const;
