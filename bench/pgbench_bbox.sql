-- pgbench script: the raw PostGIS ceiling of a bbox page. PostGIS itself writes the
-- GeoJSON FeatureCollection of at most :limit current features of one Dothi layer
-- partition in a random box, so no application code runs at all.
--
--   pgbench -n -M prepared -c 16 -j 2 -T 20 -f bench/pgbench_bbox.sql \
--     -D xmin=106.6 -D ymin=10.7 -D xmax=106.8 -D ymax=10.85 -D size=0.005 \
--     -D limit=100 -D polygons=0 -h 127.0.0.1 -p PORT -U dothi DBNAME
--
-- The box is drawn as in bench/wrk_bbox.lua: side :size degrees, lower-left corner
-- uniform so that the box stays inside the extent. polygons=1 reads bench_polygons,
-- polygons=0 bench_points. The properties are taken out of the jsonb column as the
-- columns pygeoapi's view has, so the document looks like the servers' answers.

\set x0 :xmin + random(0, 1000000) * (:xmax - :xmin - :size) / 1000000.0
\set y0 :ymin + random(0, 1000000) * (:ymax - :ymin - :size) / 1000000.0
\set x1 :x0 + :size
\set y1 :y0 + :size
\if :polygons
SELECT json_build_object('type', 'FeatureCollection',
                         'features', coalesce(json_agg(ST_AsGeoJSON(t.*)::json), '[]'))
FROM (SELECT fid AS id, geom, properties->>'uid' AS uid, properties->>'name' AS name,
             (properties->>'floors')::int AS floors, (properties->>'area')::float8 AS area,
             properties->>'kind' AS kind
      FROM feature_bench_polygons
      WHERE geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326) AND valid_to IS NULL
      LIMIT :limit) t;
\else
SELECT json_build_object('type', 'FeatureCollection',
                         'features', coalesce(json_agg(ST_AsGeoJSON(t.*)::json), '[]'))
FROM (SELECT fid AS id, geom, properties->>'uid' AS uid, properties->>'name' AS name,
             (properties->>'floors')::int AS floors, properties->>'kind' AS kind
      FROM feature_bench_points
      WHERE geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326) AND valid_to IS NULL
      LIMIT :limit) t;
\endif
