"""motcua office server: the queue engine, its event store, MQTT ingest and the command line."""
