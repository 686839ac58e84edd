"""Benchmark: what a pack's protocols cost `rehabkit list`, in time and peak memory, as their number grows.

A throw-away pack registers N copies of a shipped protocol as mappings; `rehabkit list` runs with N and
10 N side by side, and the ratio per protocol is printed (absolute figures drift with the machine).
Run with ``make bench`` or ``python bench/bench_registration.py``.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACK = textwrap.dedent("""
    import copy, os
    from pathlib import Path
    import yaml
    from rehabkit import hookimpl
    REHABKIT_HOOK_API = 1
    BASE = yaml.safe_load(Path(os.environ["BENCH_DOC"]).read_text())
    BASE["reviewed"] = str(BASE["reviewed"])

    @hookimpl
    def rehabkit_register_protocols(register):
        for i in range(int(os.environ["BENCH_N"])):
            document = copy.deepcopy(BASE)
            document["id"] = f"bench-{i}"
            register(document)
""")


def _run(folder: Path, n: int) -> tuple[float, int]:
    env = {
        **os.environ,
        "PYTHONPATH": str(folder),
        "BENCH_N": str(n),
        "BENCH_DOC": str(REPO / "protocols" / "neck" / "neck-pain.yaml"),
    }
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run([sys.executable, "-m", "rehabkit", "list"], env=env, check=True, capture_output=True)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return time.perf_counter() - start, max(peak, before)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "benchpack").mkdir()
        (folder / "benchpack" / "__init__.py").write_text(PACK)
        info = folder / "benchpack-0.1.dist-info"
        info.mkdir()
        (info / "entry_points.txt").write_text("[rehabkit]\nbenchpack = benchpack\n")
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: benchpack\nVersion: 0.1\n")
        small_time, small_memory = _run(folder, 100)
        large_time, large_memory = _run(folder, 1000)
    per_protocol_ms = (large_time - small_time) / 900 * 1000
    per_protocol_kb = (large_memory - small_memory) / 900
    print(
        f"rehabkit list with a pack of 100 vs 1000 protocols (neck-pain, 12 KB each): "
        f"{small_time:.2f} s / {large_time:.2f} s; {per_protocol_ms:.2f} ms and {per_protocol_kb:.0f} KB a protocol"
    )


if __name__ == "__main__":
    main()
