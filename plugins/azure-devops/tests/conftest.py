"""Fixtures of the azure-devops service tests: a loopback Boards server and clients talking to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mbf.plugin import Context
from mbf.sync import RetryPolicy, SyncLedger
from mbf_azure_devops.service import AzureDevOpsClient
from mbf_azure_devops.settings import AzureDevOpsSettings

from .fake_ado import FakeAzureDevOps


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAzureDevOps]:
    """A running fake Azure DevOps (project Contoso, areas Contoso and Contoso\\Waves); the PAT is
    in the environment and proxies are bypassed for loopback."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    server = FakeAzureDevOps(project="Contoso", team="Contoso Team").start()
    monkeypatch.setenv("AZURE_DEVOPS_EXT_PAT", server.pat)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def settings(fake: FakeAzureDevOps) -> AzureDevOpsSettings:
    """Settings pointing at the fake, with items filed under the Waves area."""
    return AzureDevOpsSettings(
        organization_url=fake.organization_url, project="Contoso", area_path="Contoso\\Waves"
    )


@pytest.fixture
def sleeps() -> list[float]:
    """Every wait the retry policy asked for (nothing really sleeps)."""
    return []


@pytest.fixture
def context() -> Context:
    return Context()


@pytest.fixture
def connect(
    fake: FakeAzureDevOps, settings: AzureDevOpsSettings, sleeps: list[float], context: Context
) -> Iterator[Callable[..., AzureDevOpsClient]]:
    """Open clients (closed after the test): ``connect(**overrides)`` of settings or client options."""
    opened: list[AzureDevOpsClient] = []

    def open_client(
        settings_: AzureDevOpsSettings | None = None, **options: Any
    ) -> AzureDevOpsClient:
        client = AzureDevOpsClient(
            settings_ or settings,
            context,
            fake.pat,
            retry=RetryPolicy(sleep=sleeps.append),
            **options,
        )
        opened.append(client)
        return client

    yield open_client
    for client in opened:
        client.close()


@pytest.fixture
def ledger(tmp_path: Path) -> SyncLedger:
    return SyncLedger.load(tmp_path / ".mbf" / "ledger-azure-devops.json", "azure-devops")
