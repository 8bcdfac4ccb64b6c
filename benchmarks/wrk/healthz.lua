-- GET /healthz: the server's ceiling (no token, a SELECT 1 and the schema revision).
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "common.lua")

function init(args)
   start_thread(args)
end

function request()
   exhausted()
   return wrk.format("GET", "/healthz")
end
