"""The kiosk's screens: home and priority choice, search and procedures, ticket and messages."""
