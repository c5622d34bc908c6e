"""The staffing planner (``motcua plan``): the fewest counters per hour that meet the waiting-time targets."""
