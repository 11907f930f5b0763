"""The Tag Manager API emulator follows the discovery document and the API's rules."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import httplib2
import pytest
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from gtmgen.testing.emulator import Emulator, Fault, main

PARENT = "accounts/1/containers/2"
CE_FILTER = [
    {
        "type": "equals",
        "parameter": [
            {"type": "template", "key": "arg0", "value": "{{_event}}"},
            {"type": "template", "key": "arg1", "value": "lead"},
        ],
    }
]


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(page_size=2) as running:
        running.api.add_container("1", "2")
        yield running


@pytest.fixture
def service(emulator: Emulator) -> Any:
    http = httplib2.Http(proxy_info=None, timeout=10)
    options = {"api_endpoint": emulator.endpoint}
    return build("tagmanager", "v2", http=http, client_options=options, static_discovery=True)


def _workspaces(service: Any) -> Any:
    return service.accounts().containers().workspaces()


def _workspace(service: Any) -> str:
    return str(_workspaces(service).create(parent=PARENT, body={"name": "w"}).execute()["path"])


def _status(call: Any) -> tuple[int, str]:
    with pytest.raises(HttpError) as raised:
        call.execute()
    return raised.value.status_code, str(raised.value)


def test_upper_snake_enums_and_unknown_fields_are_refused(service: Any) -> None:
    path = _workspace(service)
    triggers = _workspaces(service).triggers()
    assert _status(triggers.create(parent=path, body={"name": "t", "type": "CUSTOM_EVENT"}))[0] == 400
    body = {"name": "t", "type": "pageview", "firingTriggerId": ["1"]}
    status, message = _status(triggers.create(parent=path, body=body))
    assert status == 400 and "Unknown name" in message
    param = [{"type": "TEMPLATE", "key": "html", "value": "x"}]
    assert (
        _status(
            _workspaces(service).tags().create(parent=path, body={"name": "x", "type": "html", "parameter": param})
        )[0]
        == 400
    )


def test_custom_event_needs_exactly_one_filter(service: Any) -> None:
    triggers = _workspaces(service).triggers()
    path = _workspace(service)
    assert (
        "exactly one customEventFilter"
        in _status(triggers.create(parent=path, body={"name": "t", "type": "customEvent"}))[1]
    )
    assert triggers.create(
        parent=path, body={"name": "t", "type": "customEvent", "customEventFilter": CE_FILTER}
    ).execute()


def test_names_unique_references_exist_and_used_entities_stay(service: Any) -> None:
    path = _workspace(service)
    ws = _workspaces(service)
    trigger = ws.triggers().create(parent=path, body={"name": "t", "type": "pageview"}).execute()
    assert "already in use" in _status(ws.triggers().create(parent=path, body={"name": "t", "type": "pageview"}))[1]
    assert (
        "does not exist"
        in _status(ws.tags().create(parent=path, body={"name": "x", "type": "html", "firingTriggerId": ["999"]}))[1]
    )
    ws.tags().create(
        parent=path, body={"name": "x", "type": "html", "firingTriggerId": [trigger["triggerId"]]}
    ).execute()
    assert "still referenced" in _status(ws.triggers().delete(path=trigger["path"]))[1]


def test_updates_check_the_fingerprint(service: Any) -> None:
    path = _workspace(service)
    tags = _workspaces(service).tags()
    tag = tags.create(parent=path, body={"name": "x", "type": "html"}).execute()
    updated = tags.update(
        path=tag["path"], fingerprint=tag["fingerprint"], body={"name": "y", "type": "html"}
    ).execute()
    assert updated["fingerprint"] != tag["fingerprint"]
    status, message = _status(
        tags.update(path=tag["path"], fingerprint=tag["fingerprint"], body={"name": "z", "type": "html"})
    )
    assert status == 409 and "Fingerprint" in message


def test_bulk_update_resolves_new_ids_and_is_all_or_nothing(service: Any) -> None:
    path = _workspace(service)
    ws = _workspaces(service)
    changes = [
        {"folder": {"folderId": "new_1", "name": "F"}, "changeStatus": "added"},
        {
            "trigger": {
                "triggerId": "new_2",
                "name": "T",
                "type": "customEvent",
                "customEventFilter": CE_FILTER,
                "parentFolderId": "new_1",
            },
            "changeStatus": "added",
        },
        {"tag": {"tagId": "new_3", "name": "G", "type": "html", "firingTriggerId": ["new_2"]}, "changeStatus": "added"},
    ]
    answer = ws.bulk_update(path=path, body={"changes": changes}).execute()
    trigger = answer["changes"][1]["trigger"]
    assert answer["changes"][2]["tag"]["firingTriggerId"] == [trigger["triggerId"]]
    assert trigger["parentFolderId"] == answer["changes"][0]["folder"]["folderId"]
    broken = [
        {"tag": {"tagId": "new_1", "name": "H", "type": "html"}, "changeStatus": "added"},
        {"tag": {"tagId": "new_2", "name": "G", "type": "html"}, "changeStatus": "added"},
    ]
    assert _status(ws.bulk_update(path=path, body={"changes": broken}))[0] == 400
    assert [t["name"] for t in ws.tags().list(parent=path).execute()["tag"]] == ["G"]  # H was not kept


def test_lists_are_paged(service: Any) -> None:
    path = _workspace(service)
    tags = _workspaces(service).tags()
    for i in range(5):
        tags.create(parent=path, body={"name": f"t{i}", "type": "html"}).execute()
    first = tags.list(parent=path).execute()
    assert len(first["tag"]) == 2 and first["nextPageToken"]
    seen, request = [], tags.list(parent=path)
    while request is not None:
        page = request.execute()
        seen += [t["name"] for t in page["tag"]]
        request = tags.list_next(request, page)
    assert seen == [f"t{i}" for i in range(5)]


def test_three_workspaces_at_most_and_create_version_removes_the_workspace(service: Any, emulator: Emulator) -> None:
    ws = _workspaces(service)
    first = _workspace(service)
    ws.create(parent=PARENT, body={"name": "second"}).execute()
    assert _status(ws.create(parent=PARENT, body={"name": "fourth"}))[0] == 400
    created = ws.create_version(path=first, body={"name": "v", "notes": "n"}).execute()
    assert created["containerVersion"]["containerVersionId"] == "1"
    assert first not in [w["path"] for w in ws.list(parent=PARENT).execute()["workspace"]]
    versions = service.accounts().containers().versions()
    assert _status(versions.live(parent=PARENT))[0] == 404
    versions.publish(path=created["containerVersion"]["path"]).execute()
    assert versions.live(parent=PARENT).execute()["containerVersionId"] == "1"


def test_get_status_lists_workspace_changes(service: Any) -> None:
    path = _workspace(service)
    ws = _workspaces(service)
    assert ws.getStatus(path=path).execute() == {}
    ws.tags().create(parent=path, body={"name": "x", "type": "html"}).execute()
    changes = ws.getStatus(path=path).execute()["workspaceChange"]
    assert [(c["changeStatus"], c["tag"]["name"]) for c in changes] == [("added", "x")]


def test_faults_and_the_request_log(service: Any, emulator: Emulator) -> None:
    emulator.faults.append(Fault(method="workspaces.list", status=503, retry_after="7"))
    with pytest.raises(HttpError) as raised:
        _workspaces(service).list(parent=PARENT).execute()
    assert raised.value.status_code == 503 and raised.value.resp["retry-after"] == "7"
    assert _workspaces(service).list(parent=PARENT).execute()["workspace"]
    assert [r.status for r in emulator.log] == [503, 200]
    assert emulator.count() == 2 and emulator.count(writes_only=True) == 0


def test_unknown_containers_answer_not_found(service: Any) -> None:
    status, message = _status(_workspaces(service).list(parent="accounts/1/containers/999"))
    assert status == 404 and "permission denied" in message


def test_the_command_line_rejects_bad_arguments() -> None:
    with pytest.raises(SystemExit):
        main(["--port", "not-a-number"])


def test_a_port_in_use_is_one_error_line_not_a_traceback() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SystemExit) as stopped:
            main(["--port", str(port)])
    message = str(stopped.value.code)
    assert message == (
        f"python -m gtmgen.testing.emulator: error: port {port} on 127.0.0.1 is already in use (another emulator?); "
        "pass another --port, or --port 0"
    )


@pytest.mark.parametrize("port", ["70000", "-1", "http"])
def test_a_port_out_of_range_is_a_usage_error(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--port", port])
    assert stopped.value.code == 2 and "is not a port number (0 to 65535" in capsys.readouterr().err


@pytest.mark.parametrize("container", ["abc", "1/x", "1/2/GTM-A/extra", "/2"])
def test_a_malformed_container_option_is_a_usage_error(container: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--port", "0", "--container", container])
    assert stopped.value.code == 2 and "is not ACCOUNT/CONTAINER[/GTM-ID]" in capsys.readouterr().err
