"""Sound for every device: the house WAV format, loudness, espeak-ng, clip sets (recorded or built), players and
the lock that keeps two devices on one speaker from talking over each other."""
