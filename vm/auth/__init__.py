"""auth: accounts, sequence numbers, signature checks, fees and gas."""
