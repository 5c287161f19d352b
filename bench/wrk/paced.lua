-- GET <prefix><code> at a fixed pace: each connection waits args[4] ms between requests, so
-- N connections offer N * 1000 / args[4] requests per second (an open-loop rate as long as
-- answers come back faster than the pace). args: codes file, path prefix, seed, pause ms.
init = function(args)
  codes = {}
  for line in io.lines(args[1]) do
    if #line > 0 then codes[#codes + 1] = line end
  end
  prefix = args[2]
  math.randomseed(os.time() + (tonumber(args[3]) or 0))
  pause = tonumber(args[4])
end

delay = function()
  return pause
end

request = function()
  return wrk.format("GET", prefix .. codes[math.random(#codes)])
end
