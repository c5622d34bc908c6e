"""Wiring data (pin maps) and the script that renders the wiring tables from them."""
