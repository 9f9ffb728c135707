--[[
  Adds one process's counters of one second to the sale-wide counters of that second, and keeps
  them for a while (the live dashboard reads the last few seconds; its charts keep their own past).

  KEYS[1] the second's counters   pulse:<epoch second>   (a hash: counter name -> count)
  ARGV[1] how long to keep them, in seconds
  ARGV[2], ARGV[3], ...  counter name, amount to add; as many pairs as there are counters

  Returns  the number of counters added
]]
for i = 2, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return (#ARGV - 1) / 2
