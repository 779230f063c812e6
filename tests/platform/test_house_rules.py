"""The house rules that a machine can check (docs/architecture.md, "Where logic lives").

import-linter checks who imports whom (CI); this checks the shape of the public functions of
every services and selectors module, so a positional argument cannot creep back in.
"""

import importlib
import inspect
import tomllib
from pathlib import Path
from types import ModuleType

import pytest
from django.apps import apps
from django.conf import settings
from django.utils.module_loading import module_has_submodule

OURS = {"accounts", "feed", "realtime", "startups", "messaging", "recommendations", "search"}


def modules() -> list[ModuleType]:
    found = []
    for config in apps.get_app_configs():
        if config.name not in OURS:
            continue
        for name in ("services", "selectors"):
            if module_has_submodule(config.module, name):
                found.append(importlib.import_module(f"{config.name}.{name}"))
    return found


def public_functions(module: ModuleType) -> list[tuple[str, object]]:
    return [
        (name, function)
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if not name.startswith("_") and function.__module__ == module.__name__
    ]


def test_every_domain_app_has_its_services_and_selectors_checked() -> None:
    checked = {module.__name__ for module in modules()}
    assert {"startups.services", "messaging.selectors", "feed.services"} <= checked
    assert "realtime.services" in checked


@pytest.mark.parametrize("module", modules(), ids=lambda module: module.__name__)
def test_public_services_and_selectors_take_keyword_arguments_only(module: ModuleType) -> None:
    positional = [
        f"{name}({parameter.name})"
        for name, function in public_functions(module)
        for parameter in inspect.signature(function).parameters.values()
        if parameter.kind
        in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD, parameter.VAR_POSITIONAL)
    ]
    assert positional == []


def test_every_app_of_ours_is_type_checked_and_in_the_import_contracts() -> None:
    """A new app cannot slip past mypy or import-linter: both read pyproject.toml."""
    root = Path(settings.BASE_DIR)
    config = tomllib.loads((root / "pyproject.toml").read_text())
    ours = {
        app.name
        for app in apps.get_app_configs()
        if Path(app.path).resolve().parent == root.resolve()  # a package of this repository
    }
    assert {"accounts", "realtime", "experiments"} <= ours
    assert ours <= set(config["tool"]["mypy"]["files"])
    assert ours <= set(config["tool"]["importlinter"]["root_packages"])
    layered = {
        package.strip()
        for layer in config["tool"]["importlinter"]["contracts"][0]["layers"]
        for package in layer.split("|")
    }
    assert ours <= layered
