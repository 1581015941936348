"""`make bench`: figures measured in one run, reported as ratios to a baseline of the same run."""
