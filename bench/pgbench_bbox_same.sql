-- pgbench script: the raw PostGIS ceiling of the answer Dothi gives for a bbox page. The
-- statement Dothi runs, written out: the current features of one layer meeting a random
-- box (exactly, not just by bounding box), numberMatched counted, a stable order (by row
-- id) for paging, and the GeoJSON text of the page written by PostGIS.
--
--   pgbench -n -M prepared -c 16 -j 2 -T 20 -f bench/pgbench_bbox_same.sql \
--     -D xmin=106.6 -D ymin=10.7 -D xmax=106.8 -D ymax=10.85 -D size=0.005 \
--     -D limit=100 -D layer=bench_points -h 127.0.0.1 -p PORT -U dothi DBNAME
--
-- The box is drawn as in bench/wrk_bbox.lua and bench/pgbench_bbox.sql; with -M prepared
-- :layer is a parameter (the layer id, e.g. bench_points or bench_polygons).

\set x0 :xmin + random(0, 1000000) * (:xmax - :xmin - :size) / 1000000.0
\set y0 :ymin + random(0, 1000000) * (:ymax - :ymin - :size) / 1000000.0
\set x1 :x0 + :size
\set y1 :y0 + :size
WITH m AS (
    SELECT rid FROM feature
    WHERE layer_id = :layer AND valid_to IS NULL
      AND geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)
      AND ((minx >= :x0 AND miny >= :y0 AND maxx <= :x1 AND maxy <= :y1)
           OR ST_Intersects(geom, ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326))))
SELECT (SELECT count(*) FROM m), count(*),
       string_agg(concat('{"type":"Feature","id":', to_json(f.fid), ',"geometry":',
                         coalesce(ST_AsGeoJSON(f.geom, 15), 'null'), ',"properties":',
                         f.properties, '}'), ',' ORDER BY f.rid)
FROM (SELECT rid FROM m ORDER BY rid LIMIT :limit) p
JOIN feature f ON f.layer_id = :layer AND f.rid = p.rid;
