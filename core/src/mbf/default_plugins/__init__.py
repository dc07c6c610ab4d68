"""Built-in plugins, written exactly as an external plugin would be (listed in ``DEFAULT_PLUGINS``)."""
