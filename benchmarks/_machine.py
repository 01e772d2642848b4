"""The machine a benchmark ran on, printed with its figures so they can be compared."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def machine() -> str:
    """Platform, CPU count and CPU model."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.platform()}; {os.cpu_count()} cpus; {model or platform.processor()}"
