--[[
  The bare reject path's one Redis round trip: compares a requested quantity with a stock key.

  KEYS[1] stock key    product:<id>:stock
  ARGV[1] requested quantity

  Returns  the stock when the quantity fits, -1 when it does not (or the key is missing)
]]
local stock = tonumber(redis.call('GET', KEYS[1]))
if stock and stock >= tonumber(ARGV[1]) then
  return stock
end
return -1
