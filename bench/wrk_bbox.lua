-- wrk script: one random small bbox per request, over the extent of the data.
--
--   wrk -t2 -c16 -d20s --latency -s bench/wrk_bbox.lua http://127.0.0.1:PORT \
--       -- /ogcapi/collections/bench_points/items XMIN YMIN XMAX YMAX SIZE LIMIT
--
-- Each request asks PATH?bbox=x0,y0,x0+SIZE,y0+SIZE&limit=LIMIT&f=json with the box's
-- lower-left corner drawn uniformly so that the box stays inside the extent. Every wrk
-- thread has its own fixed seed, so two runs ask the same sequence of boxes. At the end
-- one line "WRK_JSON {...}" gives the figures (latencies in microseconds) to
-- bench/ogcapi_bench.py.

dofile("bench/wrk_common.lua")

function init(args)
   path = args[1]
   xmin, ymin = tonumber(args[2]), tonumber(args[3])
   xmax, ymax = tonumber(args[4]), tonumber(args[5])
   size, limit = tonumber(args[6]), tonumber(args[7])
   math.randomseed(20260101 + 7919 * (id or 0))
end

function request()
   local x0 = xmin + math.random() * (xmax - xmin - size)
   local y0 = ymin + math.random() * (ymax - ymin - size)
   return wrk.format("GET", string.format(
      "%s?bbox=%.7f,%.7f,%.7f,%.7f&limit=%d&f=json", path, x0, y0, x0 + size, y0 + size, limit))
end
