"""The province server: every office's events, bridged from the office brokers, in one database (docs/province.md).

``ingest.ProvinceIngest`` runs at the province (``motcua province``, ``main.province_main``); the office's side,
``queue_server.mqtt.event_replayer.EventReplayer``, runs in each office server and answers the gap-fill requests.
Nothing connects at import time.
"""
