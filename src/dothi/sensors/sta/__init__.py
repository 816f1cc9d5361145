"""The SensorThings API protocol: data model, resource paths, query options, writes."""
