"""params: every module's parameters, stored in state so governance can change them."""
