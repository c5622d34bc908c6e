"""Period reports as documents to attach to an office's periodic report: Excel (.xlsx), PDF and CSV.

The dashboard's exports and ``motcua stats --format`` build the same ``Document`` (``document.build``) from a
``PeriodReport`` and the office's names, then render it (``xlsx.render``, ``pdf.render``, ``csv.render``).
Every figure comes from ``queue_server.analytics``; nothing here computes statistics.
"""
