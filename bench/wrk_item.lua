-- wrk script: one random single-feature get by id per request.
--
--   wrk -t2 -c16 -d20s --latency -s bench/wrk_item.lua http://127.0.0.1:PORT \
--       -- /ogcapi/collections/bench_points/items PREFIX COUNT
--
-- Each request asks PATH/<PREFIX><8-digit number>?f=json, the number drawn uniformly in
-- 0 … COUNT-1 (the benchmark's ids are PREFIX followed by the row number, zero-padded).
-- Fixed seed per wrk thread; "WRK_JSON {...}" at the end as in wrk_bbox.lua.

dofile("bench/wrk_common.lua")

function init(args)
   path, prefix, count = args[1], args[2], tonumber(args[3])
   math.randomseed(20260101 + 7919 * (id or 0))
end

function request()
   return wrk.format("GET", string.format(
      "%s/%s%08d?f=json", path, prefix, math.random(0, count - 1)))
end
