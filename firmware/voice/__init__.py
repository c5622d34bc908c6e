"""Vietnamese voice calls: number reading, speech rendering to WAV, and the one audio queue."""
