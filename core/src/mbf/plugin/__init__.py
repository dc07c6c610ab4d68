"""Everything a plugin author imports: the ``hookimpl`` marker and the plugin object types."""

from mbf.plugin.hookspecs import hookimpl
from mbf.plugin.types import (
    ALL_CAPABILITIES,
    Context,
    Diagnostics,
    DiscoverySource,
    GenerationRule,
    MbfPlugin,
    PlanningStrategy,
    PlanResult,
    PlanViolation,
    PushReport,
    TrackerClient,
    TrackerFormat,
    TrackerService,
)

__all__ = [
    "ALL_CAPABILITIES",
    "Context",
    "Diagnostics",
    "DiscoverySource",
    "GenerationRule",
    "MbfPlugin",
    "PlanResult",
    "PlanViolation",
    "PlanningStrategy",
    "PushReport",
    "TrackerClient",
    "TrackerFormat",
    "TrackerService",
    "hookimpl",
]
