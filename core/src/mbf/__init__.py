"""mbf, the migration backlog framework: estate in, cloud-migration backlog out, in any tracker.

Plugins import :data:`hookimpl` from here; the rest of the public API lives in
:mod:`mbf.domain`, :mod:`mbf.plugin`, :mod:`mbf.serialization` and :mod:`mbf.testing`.
"""

from mbf.errors import MbfError
from mbf.plugin.hookspecs import hookimpl

__version__ = "0.1.0"

__all__ = ["MbfError", "__version__", "hookimpl"]
