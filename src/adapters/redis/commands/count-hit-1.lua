--[[
  Counts one hit in a fixed window: the first hit of a window starts its expiry.

  KEYS[1] counter key   rate:<scope>:<client>
  ARGV[1] window length in milliseconds

  Returns  { hits in the current window, milliseconds until the window ends }
]]
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  -- A counter without expiry (left by an older writer) would block forever: restart the window.
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return { count, ttl }
