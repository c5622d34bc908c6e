"""What citizens look at: the counter display (serial LED board or a small screen) and the hall board.

Models (``counter_model``, ``board_model``) are pure: fed retained MQTT state and the link status, they say what
to show. Screens (``counter_screen``, ``board_screen``) draw a model's view with pygame; pygame is imported only
there, so the models and the serial driver run without it. ``offscreen`` draws the same screens onto plain
surfaces saved as PNG (the demo runs a counter screen and the hall board in one process).
"""
