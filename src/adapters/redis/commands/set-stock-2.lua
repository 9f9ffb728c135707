--[[
  Writes a product's available stock to the mirror unless the mirror already holds a newer
  version, so that writes from concurrent requests arriving out of order never roll it back.
  A write that changes the stock is published, so that the near cache of every API process
  (near-stock-cache.ts) learns it without asking.

  KEYS[1] stock key    product:<id>:stock
  KEYS[2] version key  stockver:{product:<id>:stock}  (hash tag: same cluster slot as KEYS[1])
  ARGV[1] available stock
  ARGV[2] its version in the database
  ARGV[3] channel of stock changes  (<prefix>stock-changes); empty: publish nothing
  ARGV[4] product id, for the message "<product id> <available> <version>"

  Returns  2 written, the key was missing
           1 written, the value changed
           0 written, the value was already equal
          -1 refused, the mirror holds a newer version
]]
local mirrored = tonumber(redis.call('GET', KEYS[2]))
if mirrored and mirrored > tonumber(ARGV[2]) then
  return -1
end
local old = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
if old == ARGV[1] then
  return 0
end
if ARGV[3] ~= '' then
  redis.call('PUBLISH', ARGV[3], ARGV[4] .. ' ' .. ARGV[1] .. ' ' .. ARGV[2])
end
if not old then
  return 2
end
return 1
