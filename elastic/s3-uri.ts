// Parsing of the remote checkpoint location `s3://bucket/prefix/`.
//
// The prefix is normalised to '' or to a string ending in '/', so that an
// object key is always `prefix + path`. `file://` URIs belong to the local
// tier and are refused here with a pointer to it.

export interface S3Location {
  readonly bucket: string;
  /** '' (bucket root) or a key prefix that ends with '/'. */
  readonly prefix: string;
}

// S3 bucket naming rules (the subset that matters for path-style access):
// 3-63 characters, lowercase letters, digits, '.' and '-', starting and
// ending with a letter or digit, not formatted like an IPv4 address.
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IPV4 = /^\d+\.\d+\.\d+\.\d+$/;

/** The URI fit to print: user info, query and fragment (where signatures and tokens hide) masked. */
function shown(uri: string): string {
  return uri.replace(/^([a-z0-9+.-]+:\/\/)[^/?#]*@/i, '$1***@').replace(/[?#].*$/, '?***');
}

function malformed(uri: string, why: string, hint: string): Error {
  return new Error(`malformed S3 URI ${JSON.stringify(shown(uri))}: ${why}. Hint: ${hint}`);
}

export function parseS3Uri(uri: string): S3Location {
  const example = 'write it as s3://my-bucket/some/prefix/';
  if (uri.startsWith('file://')) {
    throw malformed(uri, 'file:// is not an S3 location', 'file:// remotes are handled by the local tier');
  }
  if (!uri.startsWith('s3://')) {
    throw malformed(uri, 'the scheme must be s3://', example);
  }
  const rest = uri.slice('s3://'.length);
  if (/[?#]/.test(rest)) {
    throw malformed(uri, 'query strings and fragments are not allowed', example);
  }
  if (/\s/.test(rest)) {
    throw malformed(uri, 'whitespace is not allowed', example);
  }
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const rawPrefix = slash < 0 ? '' : rest.slice(slash + 1);
  if (bucket.length === 0) {
    throw malformed(uri, 'the bucket name is empty', example);
  }
  if (bucket.includes('@') || bucket.includes(':')) {
    throw malformed(uri, 'credentials or ports do not belong in the URI', 'credentials come only from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and the endpoint from S3_ENDPOINT_URL');
  }
  if (!BUCKET_NAME.test(bucket) || bucket.includes('..') || IPV4.test(bucket)) {
    throw malformed(uri, `bucket name ${JSON.stringify(bucket)} breaks the S3 naming rules (3-63 of a-z 0-9 . -, starting and ending with a letter or digit)`, example);
  }
  const segments = rawPrefix.split('/');
  if (rawPrefix.endsWith('/')) segments.pop();
  if (rawPrefix.length > 0) {
    for (const segment of segments) {
      if (segment.length === 0) throw malformed(uri, 'the prefix has an empty segment (//)', example);
      if (segment === '.' || segment === '..') throw malformed(uri, `the prefix has a ${segment} segment`, example);
    }
  }
  const prefix = rawPrefix.length === 0 ? '' : segments.join('/') + '/';
  return { bucket, prefix };
}

export function formatS3Uri(location: S3Location, path = ''): string {
  return `s3://${location.bucket}/${location.prefix}${path}`;
}
