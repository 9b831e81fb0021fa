"""Errors shared by ``node/config.py`` and the settings modules it embeds (``node/p2p/config.py``)."""


class ConfigError(ValueError):
    """A config file that cannot be used; the message names the setting."""
