"""The REST 3.0 migration warning: once per method per client, from a registry the core reads."""

from __future__ import annotations

import logging

import pytest

from b24typed.core.registry import MigrationNotifier, MigrationRegistry, snake_case, wrapper_path

from .harness import Harness, envelope


@pytest.fixture
def registry() -> MigrationRegistry:
    fresh = MigrationRegistry()
    loads: list[int] = []

    def loader() -> dict[str, list[str]]:
        loads.append(1)
        return {
            "tasks.task.get": ["tasks.task.get"],
            "department.get": ["humanresources.node.get", "humanresources.node.list"],
        }

    fresh.add_loader(loader)
    fresh.loads = loads  # type: ignore[attr-defined]
    return fresh


def client(mode: str, registry: MigrationRegistry) -> Harness:
    h = Harness(mode, lambda r: envelope({}))
    h.client._state.migrations = MigrationNotifier(registry)
    return h


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and r.name == "b24typed"
    ]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_warns_once_per_method_per_client(
    mode: str, registry: MigrationRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    first = client(mode, registry)
    with caplog.at_level(logging.WARNING, logger="b24typed"):
        first.call(2, "tasks.task.get", {"taskId": 1})
        first.call(2, "tasks.task.get", {"taskId": 2})
        first.call(2, "department.get")
        first.call(2, "crm.deal.list")
        first.call(3, "tasks.task.get", {"id": 1})
        client(mode, registry).call(2, "tasks.task.get", {"taskId": 1})
    messages = warnings_of(caplog)
    assert messages == [
        "tasks.task.get is a REST v2 method; REST 3.0 has tasks.task.get (b24.v3.tasks.task.get). Consider migrating.",
        "department.get is a REST v2 method; REST 3.0 has humanresources.node.get, humanresources.node.list "
        "(b24.v3.humanresources.node.get, b24.v3.humanresources.node.list). Consider migrating.",
        "tasks.task.get is a REST v2 method; REST 3.0 has tasks.task.get (b24.v3.tasks.task.get). Consider migrating.",
    ]
    assert registry.loads == [1]  # type: ignore[attr-defined]


def test_a_portal_can_extend_the_table_for_one_client(caplog: pytest.LogCaptureFixture) -> None:
    notifier = MigrationNotifier(MigrationRegistry())
    with caplog.at_level(logging.WARNING, logger="b24typed"):
        notifier.notify("main.eventlog.list", "r1")
        assert notifier.add(["main.eventlog.list", "main.eventlog.get"]) == 2
        assert notifier.add(["main.eventlog.list"]) == 0
        notifier.notify("main.eventlog.list", "r2")
        notifier.notify("main.eventlog.list", "r3")
    assert len(warnings_of(caplog)) == 1
    assert caplog.records[0].b24_request_id == "r2"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("name", "snake"),
    [
        ("getFields", "get_fields"),
        ("crm", "crm"),
        ("userfield", "userfield"),
        ("getHTMLCode", "get_html_code"),
    ],
)
def test_snake_case(name: str, snake: str) -> None:
    assert snake_case(name) == snake


def test_wrapper_paths() -> None:
    assert wrapper_path("tasks.task.getFields", 2) == "b24.tasks.task.get_fields"
    assert wrapper_path("tasks.task.get", 3) == "b24.v3.tasks.task.get"
