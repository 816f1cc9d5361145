-- wrk script: one planning lookup at a random point per request.
--
--   wrk -t2 -c16 -d20s --latency -s bench/wrk_lookup.lua http://127.0.0.1:PORT \
--       -- XMIN YMIN XMAX YMAX
--
-- Each request asks /planning/lookup?lon=..&lat=.. with the point drawn uniformly in the
-- box; every wrk thread has its own fixed seed. The figures line comes from
-- bench/wrk_common.lua.

dofile("bench/wrk_common.lua")

function init(args)
   xmin, ymin = tonumber(args[1]), tonumber(args[2])
   xmax, ymax = tonumber(args[3]), tonumber(args[4])
   math.randomseed(20261124 + 7919 * (id or 0))
end

function request()
   local x = xmin + math.random() * (xmax - xmin)
   local y = ymin + math.random() * (ymax - ymin)
   return wrk.format("GET", string.format("/planning/lookup?lon=%.7f&lat=%.7f", x, y))
end
