"""MPXJ (Java) reading an MSPDI file and writing it back: the floor of the MSPDI figure.

Runs in its own benchmark virtual environment, never mbf's (MPXJ is not an mbf dependency)::

    uv venv ~/.cache/mbf-benchmarks/mpxj-venv
    VIRTUAL_ENV=~/.cache/mbf-benchmarks/mpxj-venv uv pip install mpxj JPype1
    ~/.cache/mbf-benchmarks/mpxj-venv/bin/python benchmarks/mpxj_convert.py IN OUT [--warm N]

The runner times the whole process (JVM start included, as a user of MPXJ waits for it). With
``--warm N`` the file is read and written N more times in the same JVM and the best warm read and
write seconds are printed, for the in-process comparison ``docs/performance.md`` also gives.
"""

from __future__ import annotations

import sys
import time


def main(argv: list[str]) -> None:
    import jpype
    import mpxj  # noqa: F401  (puts MPXJ's jars on the class path)

    source, target = argv[0], argv[1]
    warm = int(argv[3]) if len(argv) > 3 and argv[2] == "--warm" else 0
    jpype.startJVM("-Xmx2g")
    from org.mpxj.mspdi import MSPDIWriter  # type: ignore[import-not-found]
    from org.mpxj.reader import UniversalProjectReader  # type: ignore[import-not-found]

    project = UniversalProjectReader().read(source)
    MSPDIWriter().write(project, target)
    print(f"{project.getTasks().size()} tasks")
    reads, writes = [], []
    for _ in range(warm):
        began = time.perf_counter()
        project = UniversalProjectReader().read(source)
        reads.append(time.perf_counter() - began)
        began = time.perf_counter()
        MSPDIWriter().write(project, target)
        writes.append(time.perf_counter() - began)
    if warm:
        print(f"warm read {min(reads):.3f} s, warm write {min(writes):.3f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
