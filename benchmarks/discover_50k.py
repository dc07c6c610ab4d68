"""Time `mbf discover` on 50,000 servers and a 1,000,000-row dependency export against the floor:
reading the same files with Python's csv module (python-calamine for the RVTools workbook).

The exports are generated deterministically (fixed seed): an Azure Migrate import CSV and an
RVTools workbook of the same 50,000 servers (the workbook names them by VM name, the CSV by FQDN),
a CMDB CSV giving half of them an application, and a classic-shape dependency export of
1,000,000 six-hour-slot rows: traffic inside applications, plus DNS/Kerberos/LDAP to domain
controllers, monitoring, and a few shared file servers; 5 % of the rows have a blank
destination name (resolved by address); each flow recurs in several six-hour slots. Usage::

    uv run python benchmarks/discover_50k.py [--servers 50000] [--rows 1000000] [--dir DIR]
"""

from __future__ import annotations

import argparse
import csv
import random
import tempfile
import time
from pathlib import Path

SEED = 20261126
INFRA_PORTS = (53, 88, 389, 445, 10050)


def _ip(index: int) -> str:
    return f"10.{(index >> 16) & 255}.{(index >> 8) & 255}.{index & 255}"


def generate(directory: Path, servers: int, rows: int) -> list[Path]:
    """Write the four exports into ``directory``; return their paths in discovery order."""
    import xlsxwriter

    rng = random.Random(SEED)
    names = [f"srv{n:05d}" for n in range(servers)]
    app_of = [n // 6 for n in range(servers)]  # six servers per application
    rvtools = directory / "RVTools_export_all.xlsx"
    book = xlsxwriter.Workbook(str(rvtools), {"constant_memory": True})
    sheet = book.add_worksheet("vInfo")
    sheet.write_row(0, 0, ["VM", "Powerstate", "Template", "SRM Placeholder", "CPUs", "Memory",
                           "Provisioned MiB", "In Use MiB", "Datacenter", "Cluster", "Host",
                           "Primary IP Address", "OS according to the configuration file",
                           "VI SDK Server"])  # fmt: skip
    for n, name in enumerate(names):
        sheet.write_row(n + 1, 0, [name.upper(), "poweredOn", False, False, rng.choice((2, 4, 8)),
                                   rng.choice((4096, 8192, 16384)), 102400, 51200,
                                   f"DC{n % 3}", f"CL{n % 40}", f"esx{n % 400:03d}", _ip(n),
                                   "Microsoft Windows Server 2019 (64-bit)", "vc01"])  # fmt: skip
    book.close()

    imported = directory / "AzureMigrate_Import.csv"
    with imported.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(
            ["*Server Name", "IP addresses", "*Cores", "*Memory (In MB)", "*OS name", "OS version"]
        )
        for n, name in enumerate(names):
            writer.writerow(
                [f"{name}.contoso.local", _ip(n), 4, 8192, "Windows Server 2019", "10.0"]
            )

    cmdb = directory / "cmdb.csv"
    with cmdb.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, delimiter=";")
        writer.writerow(["Name", "Application", "Environment", "Owner"])
        for n, name in enumerate(names[: servers // 2]):
            writer.writerow([name, f"App {app_of[n]}", rng.choice(("Production", "Test")), "Owner"])

    deps = directory / "AzureMigrate_Dependencies.csv"
    dcs, files = (
        servers - 10,
        servers - 20,
    )  # the last servers play domain controllers and file shares
    flows = []
    for source in range(servers - 20):
        peer = min(app_of[source] * 6 + rng.randrange(6), servers - 21)
        flows.append((source, peer, rng.choice((1433, 443, 8080))))
        flows.append((source, dcs + rng.randrange(10), rng.choice(INFRA_PORTS)))
        if rng.random() < 0.3:
            flows.append((source, files + rng.randrange(10), 8443))
    with deps.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["Time slot", "Source server name", "Source IP", "Source application", "Source process",
                         "Destination server name", "Destination IP", "Destination application",
                         "Destination process", "Destination port"])  # fmt: skip
        for row in range(rows):
            source, target, port = flows[row % len(flows)]  # each flow recurs in successive slots
            slot_index = row // len(flows)
            slot = f"7/{1 + slot_index // 4}/2026 {(slot_index % 4) * 6:02d}:00-{(slot_index % 4) * 6 + 6:02d}:00"
            target_name = (
                "" if target % 20 == 7 else names[target]
            )  # 5 % of servers named only by address
            writer.writerow([slot, names[source], _ip(source), "IIS", "w3wp.exe", target_name, _ip(target),
                             "", "", port])  # fmt: skip
    return [rvtools, imported, cmdb, deps]


def read_floor(paths: list[Path]) -> float:
    """Seconds to read every row of the exports: csv module, calamine for the workbook."""
    from python_calamine import CalamineWorkbook

    start = time.perf_counter()
    for path in paths:
        if path.suffix == ".xlsx":
            rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("vInfo").to_python()
            count = len(rows)
        else:
            with path.open(encoding="utf-8", newline="") as stream:
                count = sum(
                    1 for _ in csv.reader(stream, delimiter=";" if "cmdb" in path.name else ",")
                )
        assert count > 0
    return time.perf_counter() - start


def run_discover(paths: list[Path], output: Path) -> tuple[float, float, str]:
    """Seconds to discover (read, merge, place, group, validate) and to write the estate file."""
    from mbf.engine.discovery import Export, discover
    from mbf.plugin.manager import MbfPluginManager
    from mbf.serialization import write_estate

    plugin_manager = MbfPluginManager().load()
    # Imported before timing: the figure is the work, not the one-off import of the plugins.
    import mbf_azure_migrate.exports  # noqa: F401
    import mbf_cmdb_csv.reader  # noqa: F401
    import mbf_rvtools.vinfo  # noqa: F401

    start = time.perf_counter()
    estate = discover(plugin_manager, [Export(path=p, display=p.name) for p in paths])
    discovered = time.perf_counter()
    write_estate(estate, output)
    written = time.perf_counter()
    summary = (
        f"{len(estate.servers)} servers, {len(estate.workloads)} workloads, "
        f"{len(estate.dependencies)} dependencies, {output.stat().st_size / 1e6:.0f} MB estate"
    )
    return discovered - start, written - discovered, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=50_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=None, help="reuse or keep the exports here")
    args = parser.parse_args()
    directory = args.dir or Path(tempfile.mkdtemp(prefix="mbf-discover-"))
    directory.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    names = (
        "RVTools_export_all.xlsx",
        "AzureMigrate_Import.csv",
        "cmdb.csv",
        "AzureMigrate_Dependencies.csv",
    )
    existing = [directory / n for n in names]
    paths = (
        existing
        if all(p.is_file() for p in existing)
        else generate(directory, args.servers, args.rows)
    )
    print(f"exports ready in {time.perf_counter() - start:.1f} s in {directory}")
    floor = min(read_floor(paths) for _ in range(2))
    took, write, summary = run_discover(paths, directory / "estate.json")
    print(f"read with csv/calamine:  {floor:6.2f} s")
    print(f"discover (no write):     {took:6.2f} s  ratio {took / floor:.2f}x  ({summary})")
    print(f"write estate.json:       {write:6.2f} s  (total ratio {(took + write) / floor:.2f}x)")


if __name__ == "__main__":
    main()
