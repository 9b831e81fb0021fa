"""Account keys: BIP-39 mnemonics, BIP-32/44 derivation, signing, and the on-disk keyring."""
