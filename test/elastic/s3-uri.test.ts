import { describe, expect, it } from 'vitest';
import { formatS3Uri, parseS3Uri } from '../../elastic/s3-uri.ts';

describe('parseS3Uri', () => {
  it('splits bucket and prefix, normalising the prefix to end with /', () => {
    expect(parseS3Uri('s3://my-bucket/runs/exp1/')).toEqual({ bucket: 'my-bucket', prefix: 'runs/exp1/' });
    expect(parseS3Uri('s3://my-bucket/runs/exp1')).toEqual({ bucket: 'my-bucket', prefix: 'runs/exp1/' });
    expect(parseS3Uri('s3://my.bucket-2/')).toEqual({ bucket: 'my.bucket-2', prefix: '' });
    expect(parseS3Uri('s3://abc')).toEqual({ bucket: 'abc', prefix: '' });
  });

  it('round-trips through formatS3Uri', () => {
    const location = parseS3Uri('s3://ckpt/a/b/');
    expect(formatS3Uri(location)).toBe('s3://ckpt/a/b/');
    expect(formatS3Uri(location, 'step=3/MANIFEST.json')).toBe('s3://ckpt/a/b/step=3/MANIFEST.json');
  });

  it('sends file:// to the local tier', () => {
    expect(() => parseS3Uri('file:///tmp/ckpt/')).toThrow(/file:\/\/.*local tier/);
  });

  it.each([
    ['http://bucket/prefix/', /scheme must be s3:\/\//],
    ['S3://bucket/', /scheme must be s3:\/\//],
    ['s3://', /bucket name is empty/],
    ['s3:///prefix/', /bucket name is empty/],
    ['s3://Bucket/', /naming rules/],
    ['s3://ab/', /naming rules/],
    ['s3://-bucket/', /naming rules/],
    ['s3://bucket_x/', /naming rules/],
    ['s3://a..b/', /naming rules/],
    ['s3://192.168.1.1/', /naming rules/],
    ['s3://key:secret@bucket/', /credentials or ports/],
    ['s3://bucket/a//b/', /empty segment/],
    ['s3://bucket/a/../b/', /\.\. segment/],
    ['s3://bucket/a?versionId=1', /query strings/],
    ['s3://bucket/a b/', /whitespace/],
  ])('rejects %s', (uri, why) => {
    expect(() => parseS3Uri(uri)).toThrow(why);
    expect(() => parseS3Uri(uri)).toThrow(/^malformed S3 URI .*Hint:/);
  });

  it('does not echo user info, a query or a fragment, where signatures and tokens hide', () => {
    for (const uri of ['s3://bucket1/run/?sv=2020&sig=LEAKsig', 's3://bucket1/run#LEAKfrag', 's3://LEAKuser:LEAKpass@bucket1/run']) {
      let message = '';
      try {
        parseS3Uri(uri);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/^malformed S3 URI "s3:\/\/(\*\*\*@)?bucket1\/run\/?(\?\*\*\*)?"/);
      expect(message).not.toContain('LEAK');
    }
  });
});
