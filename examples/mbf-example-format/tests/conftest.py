"""Enables mbf's plugin-author fixtures when this plugin's tests run on their own.

Inside the mbf repository the root conftest already does this, and pytest refuses to load a
plugin twice, so only declare it when it is not loaded yet.
"""

import sys

if "mbf.testing" not in sys.modules:
    pytest_plugins = ["mbf.testing"]
