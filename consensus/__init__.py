"""depind consensus package."""
