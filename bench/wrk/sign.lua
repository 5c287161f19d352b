-- POST a signing for a new walk-in signatory every time (unique name and Idempotency-Key).
-- args: bearer token, commitment id, run label (keeps names unique across runs).
local strokes = '[[{"x":10,"y":40,"t":0,"p":0.5},{"x":40,"y":10,"t":20,"p":0.6},' ..
  '{"x":70,"y":60,"t":40,"p":0.5},{"x":100,"y":15,"t":60,"p":0.4},{"x":130,"y":70,"t":80,"p":0.5},' ..
  '{"x":160,"y":20,"t":100,"p":0.6},{"x":190,"y":65,"t":120,"p":0.5},{"x":220,"y":10,"t":140,"p":0.4},' ..
  '{"x":250,"y":55,"t":160,"p":0.5},{"x":280,"y":30,"t":180,"p":0.4}]]'
local categories = {"pemerintah", "akademisi", "badan-usaha", "komunitas"}
local counter = 0

init = function(args)
  token, slug, run = args[1], args[2], args[3]
  path = "/api/v1/commitments/" .. slug .. "/signatures"
end

request = function()
  counter = counter + 1
  local key = "bench-" .. run .. "-" .. counter
  local body = '{"signatory":{"name":"Peserta ' .. key .. '","position":"Staf Ahli",' ..
    '"institution":"Instansi Uji ' .. (counter % 97) .. '","category":"' ..
    categories[counter % 4 + 1] .. '"},"dimensions":["smart-governance","smart-economy"],' ..
    '"consent":{"accepted":true,"public_display":true},"strokes":' .. strokes .. '}'
  local headers = {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = key,
  }
  return wrk.format("POST", path, headers, body)
end
