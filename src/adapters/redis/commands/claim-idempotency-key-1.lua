--[[
  Claims an Idempotency-Key for one request, atomically: the first request stores an in-flight
  record; every later one gets the record already there (in flight, or completed with its response).

  KEYS[1] record key   idem:<hash of scope, route and key>
  ARGV[1] the in-flight record to store (JSON, with a token unique to the claiming request)
  ARGV[2] seconds the in-flight record lives if its request never completes (crash)

  Returns  ''       claimed now by this request
           <json>   the record that was already there
]]
local current = redis.call('GET', KEYS[1])
if current then
  return current
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return ''
