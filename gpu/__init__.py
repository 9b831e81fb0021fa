"""depind gpu package."""
