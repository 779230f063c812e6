"""The house rules that a machine can check (docs/architecture.md, "Where logic lives").

import-linter checks who imports whom (CI); this checks the shape of the public functions of
every services and selectors module, so a positional argument cannot creep back in.
"""

import importlib
import inspect
from types import ModuleType

import pytest
from django.apps import apps
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
