"""depind node package."""
