/**
 * Configs hold no secrets: S3 keys and the rendezvous secret come only from
 * the environment (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY,
 * MOE_RENDEZVOUS_SECRET). A key that looks like a credential is rejected
 * with that hint rather than the generic unknown-key error, and a URI that
 * embeds credentials is rejected. Messages never echo a secret.
 */

const CREDENTIAL_KEY = /(secret|passw(or)?d|passphrase|token|api_?key|access_?key|private_?key|session_?key|credential|auth)/i;

export const CREDENTIAL_HINT =
  'configs must not hold secrets; set credentials in the environment instead ' +
  '(AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY for S3, MOE_RENDEZVOUS_SECRET for the rendezvous)';

export function looksLikeCredentialKey(key: string): boolean {
  return CREDENTIAL_KEY.test(key);
}

/** Query parameters that carry signatures or tokens (presigned S3 URLs, bearer tokens). */
const CREDENTIAL_QUERY = /[?&](x-amz-(signature|credential|security-token)|awsaccesskeyid|signature|token|secret|key|password)=/i;

/** The rule a URI breaks by embedding credentials, or null. */
export function uriCredentialProblem(uri: string): string | null {
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(uri)) return `must not contain user:password@ credentials; ${CREDENTIAL_HINT}`;
  if (CREDENTIAL_QUERY.test(uri)) return `must not carry signatures or tokens in its query; ${CREDENTIAL_HINT}`;
  if (/\b(AKIA|ASIA)[0-9A-Z]{16}\b/.test(uri)) return `must not contain an AWS access key id; ${CREDENTIAL_HINT}`;
  return null;
}

/** A value fit to print in an error: user info, query strings and fragments of URIs are masked, long values cut. */
export function redactForMessage(value: string): string {
  const masked = value
    .replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1***@')
    .replace(/[?#].*$/, '?***')
    .replace(/\b(AKIA|ASIA)[0-9A-Z]{16}\b/g, '$1***');
  return masked.length > 60 ? `${masked.slice(0, 57)}...` : masked;
}
