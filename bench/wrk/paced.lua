-- Appended to verify.lua: each connection waits args[4] ms before its next request, so N
-- connections offer about N * 1000 / args[4] requests per second (a little less: the pause
-- starts once the answer is back).
delay = function()
  return pause
end
