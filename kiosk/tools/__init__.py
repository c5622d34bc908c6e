"""One-off maintenance scripts for the kiosk's shipped data."""
