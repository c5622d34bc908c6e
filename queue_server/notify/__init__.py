"""Messages to citizens' phones: SMS through the office's own GSM modem (Gammu), or a log line in the demo.

The office may have no internet, so nothing here depends on a cloud service. ``notifier.py`` is the interface the
rest of the server codes against; backends live beside it.
"""
