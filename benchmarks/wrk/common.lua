-- Shared by the wrk scripts of benchmarks/load.py (loaded with dofile from each of them).
--
-- Arguments after `--` on the wrk command line: a bearer token, a file of case ids (or
-- "-"), and the most requests one thread may send (0: no limit, only wrk's -d bounds it).
-- Every thread counts responses that are not 2xx, and stops itself once it sent its
-- share of requests or ran out of case ids; the rate is then over the time the threads
-- ran (first request to last response). done() prints one line for load.py:
--   WRK_RESULT requests=... seconds=... errors=... non2xx=... p50_ms=... p99_ms=... ...

local threads = {}
local counter = 0

-- A monotonic clock (LuaJIT's FFI): wrk reports the whole -d duration even when every
-- thread stopped early, so the span from the first request to the last response is kept.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock_id, bench_timespec *now);
]]
local clock = ffi.new("bench_timespec")

function monotonic()
   ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC
   return tonumber(clock.tv_sec) + tonumber(clock.tv_nsec) / 1e9
end

-- WRK_PACE_MS (set by load.py for the runs at a goal's rate): every connection waits that
-- long after each response before it sends its next request. wrk decides at start whether
-- the script has delay(), so it is defined only when pacing.
local pace = tonumber(os.getenv("WRK_PACE_MS") or "0")
if pace > 0 then
   function delay()
      return pace
   end
end

function setup(thread)
   thread:set("index", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

-- In each thread: its arguments, its own random sequence, its share of the ids.
function read_ids(path, index, count, interleave)
   local ids = {}
   if path == nil or path == "-" then
      return ids
   end
   local n = 0
   for line in io.lines(path) do
      if line ~= "" then
         if not interleave or n % count == index then
            table.insert(ids, line)
         end
         n = n + 1
      end
   end
   return ids
end

function start_thread(args)
   token = args[1] or ""
   limit = tonumber(args[3] or "0")
   sent = 0
   non2xx = 0
   ranout = 0
   first = 0
   last = 0
   math.randomseed(1000 + index * 7919)
   headers = {}
   headers["Authorization"] = "Bearer " .. token
   headers["Accept"] = "application/json"
end

-- True when this thread must send no more requests (its limit is reached).
function exhausted()
   if first == 0 then
      first = monotonic()
   end
   if limit > 0 and sent >= limit then
      wrk.thread:stop()
      return true
   end
   sent = sent + 1
   return false
end

function response(status, headers, body)
   last = monotonic()
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
   end
end

function done(summary, latency, requests)
   local bad, out, from, to = 0, 0, math.huge, 0
   for _, thread in ipairs(threads) do
      bad = bad + (thread:get("non2xx") or 0)
      out = out + (thread:get("ranout") or 0)
      local started, ended = thread:get("first") or 0, thread:get("last") or 0
      if started > 0 and started < from then
         from = started
      end
      if ended > to then
         to = ended
      end
   end
   local seconds = summary.duration / 1e6
   if to > from then
      seconds = math.min(seconds, to - from)
   end
   local e = summary.errors
   io.write(string.format(
      "WRK_RESULT requests=%d seconds=%.3f connect=%d read=%d write=%d status=%d"
         .. " timeout=%d non2xx=%d ranout=%d p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
      summary.requests, seconds, e.connect, e.read, e.write, e.status,
      e.timeout, bad, out, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000))
end
