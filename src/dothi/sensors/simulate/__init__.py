"""A fleet of virtual devices (thiết bị mô phỏng) for the demo, the benchmarks and tests.

- :mod:`.series` — the real Vietnamese air-quality series shipped in ``data/sensors-vn``,
  replayed at their stations with times shifted to now by whole weeks (values unchanged);
- :mod:`.patterns` — generated patterns, pure functions of time: daily traffic curves,
  rainstorms that cross the city and flood its streets one after another, tides in the
  canals, streetlights on a dusk-to-dawn schedule that sometimes fail, bins that fill and
  are emptied, water and power meters;
- :mod:`.devices` — one device of each kind, built from its Thing's ``properties``;
- :mod:`.placement` and :mod:`.provision` — where a fleet goes (along the city's roads, in
  its wards and buildings) and its Things, Datastreams and TaskingCapabilities, created
  through the SensorThings service layer;
- :mod:`.history` — days of readings back-filled at once through the observations store;
- :mod:`.transports`, :mod:`.live` — readings sent as they happen, over MQTT, HTTP
  (``dataArray``) or straight into the database, and the streetlights' dimming tasks;
- :mod:`.command` — ``dothi simulate``.

Generated data says so: the Things and Datastreams of generated devices carry
``"simulated": true`` in their ``properties``; replayed stations carry ``"simulated":
false`` and a ``replay`` block saying the times were shifted.
"""
