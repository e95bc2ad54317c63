"""Generated documentation and API documents match the code."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _script(name: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_configuration_page_matches_the_settings() -> None:
    committed = (ROOT / "docs" / "configuration.md").read_text()
    assert _script("export_config_docs").render() == committed, "run `make docs`"


def test_every_service_has_its_committed_openapi_document() -> None:
    export = _script("export_openapi")
    for name, factory in export._apps().items():
        committed = (ROOT / "openapi" / f"{name}.json").read_text()
        assert export.render(factory()) == committed, f"openapi/{name}.json: run `make openapi`"
