/**
 * Checks a Redis connection string the way ioredis will read it, and refuses the ones ioredis would
 * misread. ioredis takes anything that is not `redis://` or `rediss://` as `host:port` or a socket path:
 * `http://localhost:6379` becomes the unix socket `//localhost:6379` (an endless `ENOENT` reconnect loop),
 * and `localhost:6379` works by accident. Accepted:
 *
 * - `redis://[[user]:password@]host[:port][/db][?options]`, and `rediss://…` for TLS (scheme in lower
 *   case: ioredis turns TLS on only for a lower-case `rediss://`);
 * - an absolute unix socket path, `/run/redis/redis.sock`, optionally with `?db=2` and other options.
 *
 * The database, when given, is a whole number (`redis://host/3`).
 *
 * @example
 * ```ts
 * import { RedisBackend } from 'rx-abort';
 * RedisBackend.fromUrl('redis://127.0.0.1:6379/0'); // fine
 * try {
 *   RedisBackend.fromUrl('http://127.0.0.1:6379');
 * } catch (error) {
 *   console.log((error as Error).message); // url must start with redis://, rediss:// or / (a unix socket path) ...
 * }
 * ```
 * @param url - the connection string.
 * @param name - the argument's name in error messages.
 * @throws TypeError when `url` is not a string, has another scheme or is not a valid URL; RangeError when its
 *   database is not a whole number.
 */
export function validateRedisUrl(url: unknown, name = 'url'): asserts url is string {
  if (typeof url !== 'string' || url.length === 0) {
    throw new TypeError(`${name} must be a non-empty redis:// URL string`);
  }
  if (url.startsWith('/') && !url.startsWith('//')) return; // a unix socket path, as ioredis takes it
  const scheme = /^([a-z][a-z\d+.-]*):/i.exec(url)?.[1];
  if (scheme === undefined || !/^rediss?$/i.test(scheme) || !url.slice(scheme.length).startsWith('://')) {
    const hint = /^(unix|file)$/i.test(scheme ?? '')
      ? ` (for a unix socket pass its path itself, e.g. ${JSON.stringify(url.replace(/^[a-z]+:\/*/i, '/'))})`
      : ` (e.g. "redis://127.0.0.1:6379/0")`;
    throw new TypeError(
      `${name} must start with redis://, rediss:// or / (a unix socket path), got ${JSON.stringify(
        url.length > 60 ? `${url.slice(0, 60)}…` : url,
      )}${hint}`,
    );
  }
  if (scheme !== scheme.toLowerCase()) {
    throw new TypeError(
      `${name} must have its scheme in lower case (${scheme.toLowerCase()}://): ioredis enables TLS only for a lower-case rediss://`,
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new TypeError(`${name} is not a valid URL: ${(error as Error).message}`, { cause: error });
  }
  if (parsed.pathname !== '' && parsed.pathname !== '/' && !/^\/\d+$/.test(parsed.pathname)) {
    throw new RangeError(
      `${name}'s path must be a database number (redis://host:6379/0), got ${JSON.stringify(parsed.pathname)}`,
    );
  }
}
