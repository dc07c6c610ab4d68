"""Pushing a backlog to one live tracker service: what ``mbf push`` and ``mbf build --push`` share.

The service is found by name, its ``[services.<name>]`` table of mbf.toml structured into its
settings, and its ledger loaded (``.mbf/ledger-<service>.json`` beside mbf.toml by default). The
tracker keys a push records are folded back into the backlog even when the push fails half-way,
so a file never loses the link to items that were created.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from mbf.config import MbfConfig, plugin_settings
from mbf.domain import Backlog
from mbf.engine.sync_merge import with_refs
from mbf.plugin.manager import MbfPluginManager
from mbf.plugin.types import Context, PushReport, TrackerService
from mbf.sync import SyncLedger

__all__ = ["ServiceSession", "open_service", "push_backlog"]


@attrs.frozen(kw_only=True)
class ServiceSession:
    """A tracker service ready to connect: its settings, its ledger and the context it runs in."""

    service: TrackerService
    """The service plugin object."""
    settings: Any
    """Its ``settings_type`` instance, from ``[services.<name>]``."""
    ledger: SyncLedger
    """Mbf id -> tracker key and last pushed content."""
    context: Context
    """Passed to ``connect``; collects the service's warnings."""


def open_service(
    plugin_manager: MbfPluginManager,
    config: MbfConfig,
    service_name: str,
    *,
    ledger_path: Path | None = None,
    config_name: str = "mbf.toml",
) -> ServiceSession:
    """Resolve ``service_name``, structure its settings and load its ledger."""
    service = plugin_manager.tracker_services.get(service_name, flag="--service")
    settings: Any = plugin_settings(
        config.services.get(service.name),
        service.settings_type,
        origin=f"{config_name}: services.{service.name}",
    )
    ledger_file = ledger_path or config.base_dir / ".mbf" / f"ledger-{service.name}.json"
    return ServiceSession(
        service=service,
        settings=settings,
        ledger=SyncLedger.load(ledger_file, service.name),
        context=Context(config=config, settings=settings),
    )


def push_backlog(
    session: ServiceSession, backlog: Backlog, on_linked: Callable[[Backlog], None]
) -> PushReport:
    """Push ``backlog``; ``on_linked`` receives it with the tracker keys whenever any were
    recorded, also when the push raises (so the caller can save them before the error shows)."""
    client = session.service.connect(session.settings, session.context)
    try:
        return client.push(backlog, session.ledger)
    finally:
        client.close()
        linked = with_refs(backlog, session.service.name, session.ledger)
        if linked is not backlog:
            on_linked(linked)
