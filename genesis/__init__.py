"""The genesis document: schema, defaults per module, validation."""
