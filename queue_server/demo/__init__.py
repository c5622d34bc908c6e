"""``make demo``: the demo office and its simulated devices, kept out of the device packages.

* ``office``: ``motcua demo``, the office server with a kiosk and counters simulated on the real contract;
* ``counters``: two counter units on mock GPIO, their displays and the hall board with its voice;
* ``kiosk_tour``: the kiosk headless, every screen as a PNG, and one real ticket printed to a file;
* ``serial_capture``: a pseudo-terminal standing in for a serial LED board.
"""
