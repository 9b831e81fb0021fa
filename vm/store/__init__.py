"""State storage for the vm: the key-value interface and the authenticated state tree."""
