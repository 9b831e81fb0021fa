"""Tests of the programs in scripts/ that have logic of their own to check."""
