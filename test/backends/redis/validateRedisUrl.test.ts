import { describe, expect, it } from 'vitest';
import { validateRedisUrl } from '../../../src/backends/redis/validateRedisUrl.js';

describe('validateRedisUrl', () => {
  it.each([
    'redis://127.0.0.1:6379',
    'redis://127.0.0.1:6379/',
    'redis://127.0.0.1:6379/3',
    'redis://user:p%40ss@host:6380/0',
    'redis://:password@host',
    'redis://[::1]:6379',
    'rediss://cache.example.com:6380/1?family=6',
    '/run/redis/redis.sock',
    '/tmp/redis.sock?db=2',
  ])('accepts %s', (url) => {
    expect(() => validateRedisUrl(url)).not.toThrow();
  });

  it.each([
    [
      'http://127.0.0.1:6379',
      TypeError,
      /^url must start with redis:\/\/, rediss:\/\/ or \/ .*"http:\/\/127\.0\.0\.1:6379" \(e\.g\. "redis:/,
    ],
    ['localhost:6379', TypeError, /^url must start with redis:\/\//],
    ['//localhost:6379', TypeError, /^url must start with redis:\/\//],
    ['127.0.0.1', TypeError, /^url must start with redis:\/\//],
    ['redis:127.0.0.1', TypeError, /^url must start with redis:\/\//],
    ['unix:///tmp/redis.sock', TypeError, /pass its path itself, e\.g\. "\/tmp\/redis\.sock"/],
    ['REDISS://host:6380', TypeError, /scheme in lower case \(rediss:\/\/\): ioredis enables TLS only/],
    ['redis://host:99999', TypeError, /^url is not a valid URL/],
    ['redis://host:6379/db0', RangeError, /^url's path must be a database number .* got "\/db0"/],
    ['', TypeError, /^url must be a non-empty redis:\/\/ URL string/],
    [42, TypeError, /^url must be a non-empty redis:\/\/ URL string/],
  ])('refuses %s', (url, error, message) => {
    expect(() => validateRedisUrl(url)).toThrow(error);
    expect(() => validateRedisUrl(url)).toThrow(message);
  });
});
