/**
 * The Lua scripts of {@link RedisBroker}. Each one touches the keys of one queue (a stream and a sorted
 * set sharing a hash tag, so they live in one Cluster slot) and runs atomically.
 */

/** The server's clock in milliseconds (the same clock for every process). */
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** KEYS: delayed zset. ARGV: delay ms, payload. Adds the payload, due at server time + delay. */
export const ENQUEUE_DELAYED = `${NOW}
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[2])
return 1`;

/**
 * KEYS: delayed zset, stream. ARGV: how many at most. Moves the due payloads to the stream (removing
 * them from the set in the same step, so none is delivered twice) and returns the milliseconds until the
 * next one is due, or -1 when none is left.
 */
export const PROMOTE_DUE = `${NOW}
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
for _, payload in ipairs(due) do
  redis.call('ZREM', KEYS[1], payload)
  redis.call('XADD', KEYS[2], '*', 'message', payload)
end
local next = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if next[2] == nil then return -1 end
local wait = tonumber(next[2]) - now
if wait < 0 then return 0 end
return wait`;

/** KEYS: stream. ARGV: group, entry id. Acknowledges and deletes the entry. */
export const ACK = `redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return 1`;

/**
 * KEYS: stream. ARGV: group, entry id, payload. Returns the message to the tail of its queue: acknowledges
 * and deletes the entry and adds the payload again, in one step.
 */
export const REQUEUE = `redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
redis.call('XADD', KEYS[1], '*', 'message', ARGV[3])
return 1`;

/**
 * KEYS: stream. ARGV: group, consumer, entry ids... Resets the idle time of the entries this consumer
 * still owns (a heartbeat, so no other worker claims them), and returns the ids it no longer owns.
 */
export const HEARTBEAT = `local lost = {}
for i = 3, #ARGV do
  local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if pending[1] ~= nil and pending[1][2] == ARGV[2] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
  else
    table.insert(lost, ARGV[i])
  end
end
return lost`;
