--[[
  Releases an in-flight Idempotency-Key claim, but only the claim this request made: after a crash
  timeout another request may own the key, and its claim must survive.

  KEYS[1] record key   idem:<hash of scope, route and key>
  ARGV[1] the claim token of the releasing request

  Returns  1 released
           0 not ours (already completed, expired or claimed by another request)
]]
local current = redis.call('GET', KEYS[1])
if not current then
  return 0
end
local record = cjson.decode(current)
if record.state == 'in_flight' and record.token == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
