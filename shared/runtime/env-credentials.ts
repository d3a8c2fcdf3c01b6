/**
 * What the function bundles give the AWS SDK in place of @aws-sdk/credential-provider-node
 * (infra/lib/function-code.ts aliases it): the SDK's default credential chain — environment, SSO,
 * shared ini files, web identity, credential processes, container and instance metadata, with the
 * STS, SSO and sign-in clients several of them carry — reduced to its first link, the environment.
 * Lambda puts the execution role's credentials there (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN), and the functions pass those to their client explicitly
 * (shared/runtime/config.ts), so this is only reached when they are missing — where the full chain
 * would have searched files and metadata endpoints no Lambda function has. Unbundled code (tests,
 * scripts) keeps the real chain.
 */
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

export const defaultProvider =
  (): AwsCredentialIdentityProvider => async (): Promise<AwsCredentialIdentity> => {
    const { AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_CREDENTIAL_EXPIRATION } =
      process.env;
    if (!AWS_ACCESS_KEY_ID || !AWS_SECRET_ACCESS_KEY) {
      throw new Error(
        'no AWS credentials: the function bundle reads them from the environment only (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), which Lambda sets',
      );
    }
    return {
      accessKeyId: AWS_ACCESS_KEY_ID,
      secretAccessKey: AWS_SECRET_ACCESS_KEY,
      ...(AWS_SESSION_TOKEN ? { sessionToken: AWS_SESSION_TOKEN } : {}),
      ...(AWS_CREDENTIAL_EXPIRATION ? { expiration: new Date(AWS_CREDENTIAL_EXPIRATION) } : {}),
    };
  };
