"""Operations on an installed office: backups, restore, upgrades, systemd notification, installers.

Nothing here runs inside the office server's hot path; each module is a command (``motcua backup``, ``restore``,
``upgrade``, ``install``) or a small helper those commands and the long-running processes share.
"""
