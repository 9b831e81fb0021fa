"""depind vm package."""
