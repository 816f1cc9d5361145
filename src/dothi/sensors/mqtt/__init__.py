"""MQTT for the sensors: the broker's address, a private mosquitto for the demo and the
tests, device credentials through mosquitto's dynamic-security plugin, an at-least-once
ingest subscriber and a non-blocking publisher for entity updates and tasks.

Nothing here touches the database: the callers hand in topic filters and callbacks.
"""
