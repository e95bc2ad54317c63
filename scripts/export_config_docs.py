"""Write docs/configuration.md from the settings classes of the four services (`make docs`).

A test fails when the committed page differs from what this script writes, so the
documented environment variables are always the ones the code reads.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "HUGO_ORCHESTRATOR_"


def _classes() -> list[tuple[str, Any]]:
    from odin_common.settings import ServiceSettings
    from odin_frontend.settings import FrontendSettings
    from odin_history.settings import HistorySettings
    from odin_matching.settings import MatchingSettings
    from odin_system_workers.settings import SystemWorkersSettings

    return [
        ("Every service", ServiceSettings),
        ("frontend", FrontendSettings),
        ("history", HistorySettings),
        ("matching", MatchingSettings),
        ("system-workers", SystemWorkersSettings),
    ]


def _default(field: Any) -> str:
    if field.default_factory is not None:
        return "(computed)"
    value = field.default
    if value is None:
        return "unset"
    return f"`{value}`"


def render() -> str:
    from odin_common.settings import DEFAULT_PORTS, ServiceSettings

    lines = [
        "# Configuration",
        "",
        "Every setting is an environment variable with the `HUGO_ORCHESTRATOR_` prefix (the",
        "names the original plan documented). This page is generated from the settings classes",
        "by `make docs`; a test fails when it is out of date.",
        "",
        "Default ports: " + ", ".join(f"{svc} {port}" for svc, port in DEFAULT_PORTS.items()) + ".",
        "",
    ]
    common = set(ServiceSettings.model_fields)
    for title, cls in _classes():
        fields = cls.model_fields
        names = sorted(fields) if cls is ServiceSettings else sorted(set(fields) - common)
        if not names:
            continue
        lines += [f"## {title}", "", "| variable | default | meaning |", "|---|---|---|"]
        for name in names:
            field = fields[name]
            description = (field.description or "").replace("|", "\\|")
            lines.append(f"| `{PREFIX}{name.upper()}` | {_default(field)} | {description} |")
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    path = ROOT / "docs" / "configuration.md"
    path.write_text(render())
    print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
