-- GET /api/v1/cases?page=<1..50>&per_page=20 (benchmarks/load.py).
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "common.lua")

function init(args)
   start_thread(args)
end

function request()
   exhausted()
   local page = math.random(50)
   return wrk.format("GET", "/api/v1/cases?page=" .. page .. "&per_page=20", headers)
end
