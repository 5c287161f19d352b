-- GET <prefix><code> for codes drawn at random from a file of real verification codes.
-- args: codes file, path prefix ("/v/" for the page, "/api/v1/verify/" for JSON), seed, and
-- the pause in ms that paced.lua uses when it is appended.
init = function(args)
  codes = {}
  for line in io.lines(args[1]) do
    if #line > 0 then codes[#codes + 1] = line end
  end
  prefix = args[2]
  math.randomseed(os.time() + (tonumber(args[3]) or 0))
  pause = tonumber(args[4]) or 0
end

request = function()
  return wrk.format("GET", prefix .. codes[math.random(#codes)])
end
