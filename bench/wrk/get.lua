-- GET one path (the trivial endpoint, or any fixed page).
init = function(args)
  path = args[1] or "/healthz"
end

request = function()
  return wrk.format("GET", path)
end
