-- POST /api/v1/cases/<id>/transitions {"trigger": "start_verification"} on `submitted`
-- cases: each thread takes every n-th id of the file and never sends one twice, so no case
-- is moved twice (benchmarks/load.py). A thread that runs out of ids stops. (wrk calls
-- request() once before the run to check it: that first id is never sent.)
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "common.lua")

local body = '{"trigger": "start_verification"}'

function init(args)
   start_thread(args)
   headers["Content-Type"] = "application/json"
   ids = read_ids(args[2], index, tonumber(args[4] or "1"), true)
   position = 0
end

function request()
   position = position + 1
   if exhausted() or position > #ids then
      if position > #ids then
         ranout = 1
      end
      wrk.thread:stop()
      return wrk.format("GET", "/healthz")
   end
   return wrk.format("POST", "/api/v1/cases/" .. ids[position] .. "/transitions", headers, body)
end
