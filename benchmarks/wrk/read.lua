-- GET /api/v1/cases/<id> for a random id of the sample file (benchmarks/load.py).
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "common.lua")

function init(args)
   start_thread(args)
   ids = read_ids(args[2], index, 1, false)
end

function request()
   exhausted()
   local id = ids[math.random(#ids)]
   return wrk.format("GET", "/api/v1/cases/" .. id, headers)
end
