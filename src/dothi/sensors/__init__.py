"""Sensors and actuators: OGC SensorThings API 1.1 (Part 1 and Tasking Core) with MQTT,
the observations store and its ingest, domain profiles and VN_AQI."""
