"""Credentials: service-account keys and authorized-user files through the emulator's token endpoint,
minimal scopes per command, anonymous only on loopback, tokens never shown, the login cache's mode."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from gtmgen.cli import app
from gtmgen.errors import ExitCode, InputError
from gtmgen.publish import auth
from gtmgen.testing.emulator import Emulator
from tests.conftest import EXAMPLES
from tests.publish_helpers import clean_environment_fixture as clean_environment_fixture
from tests.publish_helpers import clock_fixture as clock_fixture
from tests.publish_helpers import gtmgen, runner, seed

# The shared publisher fixtures: `clean_environment` (autouse) and, for every test, the fast `clock`.
pytestmark = pytest.mark.usefixtures("clock")

SPEC = EXAMPLES / "foundation-repair.yaml"
READONLY = ("https://www.googleapis.com/auth/tagmanager.readonly",)
PUBLISHING = tuple(
    f"https://www.googleapis.com/auth/tagmanager.{s}" for s in ("edit.containers", "edit.containerversions", "publish")
)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(require_auth=True) as running:
        seed(running, SPEC)
        yield running


def _private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return pem.decode()


def _service_account(tmp_path: Path, emulator: Emulator) -> tuple[Path, str]:
    private_key = _private_key()
    info = {
        "type": "service_account",
        "project_id": "gtmgen-test",
        "private_key_id": "k1",
        "private_key": private_key,
        "client_email": "publisher@gtmgen-test.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": emulator.endpoint + "token",
    }
    path = tmp_path / "key.json"
    path.write_text(json.dumps(info))
    return path, private_key


def test_plan_asks_for_the_readonly_scope_only(emulator: Emulator, tmp_path: Path) -> None:
    key, private_key = _service_account(tmp_path, emulator)
    result = gtmgen(emulator, "plan", str(SPEC), credentials=str(key))
    assert result.exit_code == 0, result.output
    assert list(emulator.tokens.values()) == [READONLY]
    assert private_key.splitlines()[1] not in result.output
    assert not any(token in result.output for token in emulator.tokens)


def test_publish_asks_for_edit_version_and_publish_scopes(emulator: Emulator, tmp_path: Path) -> None:
    key, _ = _service_account(tmp_path, emulator)
    result = gtmgen(emulator, "publish", str(SPEC), "--yes", credentials=str(key))
    assert result.exit_code == 0, result.output
    assert sorted(set(emulator.tokens.values())) == [PUBLISHING]
    assert not any(token in result.output for token in emulator.tokens)


def test_a_readonly_token_cannot_write(emulator: Emulator) -> None:
    emulator.tokens["ro"] = READONLY
    with pytest.raises(Exception, match="insufficient authentication scopes"):
        import httplib2
        from googleapiclient.discovery import build

        service = build(
            "tagmanager",
            "v2",
            http=httplib2.Http(proxy_info=None),
            static_discovery=True,
            client_options={"api_endpoint": emulator.endpoint},
        )
        request = (
            service.accounts()
            .containers()
            .workspaces()
            .create(parent="accounts/6001234567/containers/201234567", body={"name": "x"})
        )
        request.headers["authorization"] = "Bearer ro"
        request.execute()


def _authorized_user(tmp_path: Path, token: str) -> Path:
    # google-auth always refreshes authorized-user tokens at Google's endpoint, so this file carries
    # a token that is still valid: the emulator knows it, and no refresh is attempted.
    info = {
        "type": "authorized_user",
        "client_id": "client.apps.googleusercontent.com",
        "client_secret": "not-really-secret",
        "refresh_token": "1//refresh-token-value",
        "token": token,
        "expiry": "2999-01-01T00:00:00Z",
    }
    path = tmp_path / "user.json"
    path.write_text(json.dumps(info))
    return path


def test_an_authorized_user_file_is_detected_and_used(emulator: Emulator, tmp_path: Path) -> None:
    emulator.tokens["ya29.user-token"] = READONLY
    result = gtmgen(emulator, "plan", str(SPEC), credentials=str(_authorized_user(tmp_path, "ya29.user-token")))
    assert result.exit_code == 0, result.output
    assert "refresh-token-value" not in result.output and "ya29" not in result.output


def test_the_login_cache_is_used_when_no_credentials_are_given(emulator: Emulator, tmp_path: Path) -> None:
    emulator.tokens["ya29.cached"] = READONLY
    auth.save_token(_authorized_user(tmp_path, "ya29.cached").read_text())
    extra = ["--api-endpoint", emulator.endpoint]
    result = runner.invoke(app, ["plan", str(SPEC), *extra])
    assert result.exit_code == 0, result.output
    assert emulator.count() > 0 and all(r.status != 401 for r in emulator.log)


def test_a_token_that_cannot_be_refreshed_is_an_auth_error(emulator: Emulator, tmp_path: Path) -> None:
    key, _ = _service_account(tmp_path, emulator)
    data = json.loads(key.read_text()) | {"token_uri": emulator.endpoint + "no-such-token-endpoint"}
    key.write_text(json.dumps(data))
    result = gtmgen(emulator, "plan", str(SPEC), credentials=str(key))
    assert result.exit_code == ExitCode.API_FAILURE, result.output
    assert "access token" in result.stderr and "internal error" not in result.stderr


def test_no_credentials_is_refused_by_an_emulator_that_requires_them(emulator: Emulator) -> None:
    result = gtmgen(emulator, "plan", str(SPEC))
    assert result.exit_code == ExitCode.API_FAILURE
    assert "HTTP 401" in result.stderr


def test_anonymous_credentials_only_for_loopback_endpoints() -> None:
    with pytest.raises(InputError, match=r"127\.0\.0\.1"):
        auth.load_credentials("none", "read", "https://tagmanager.googleapis.com/")
    with pytest.raises(InputError, match=r"127\.0\.0\.1"):
        auth.load_credentials("none", "read", None)
    assert auth.load_credentials("none", "read", "http://localhost:8085/") is None


def test_unknown_credentials_files_are_named_not_shown(tmp_path: Path) -> None:
    secret = tmp_path / "odd.json"
    secret.write_text(json.dumps({"type": "external_account_x", "secret": "s3cr3t"}))
    with pytest.raises(InputError) as raised:
        auth.credentials_from_file(secret, READONLY)
    assert "odd.json" in str(raised.value) and "s3cr3t" not in str(raised.value)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(InputError, match="not a JSON credentials file"):
        auth.credentials_from_file(broken, READONLY)


def test_the_login_token_is_cached_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = auth.save_token(json.dumps({"type": "authorized_user", "refresh_token": "r"}))
    assert path == tmp_path / "config" / "credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert auth.token_path() == path


def test_login_needs_client_secrets_and_logout_forgets_the_token(tmp_path: Path) -> None:
    result = runner.invoke(app, ["auth", "login"])
    assert result.exit_code == ExitCode.INVALID_INPUT and "--client-secrets" in result.stderr
    missing = runner.invoke(app, ["auth", "login", "--client-secrets", str(tmp_path / "nope.json")])
    assert missing.exit_code == ExitCode.INVALID_INPUT and "not found" in missing.stderr
    cached = auth.save_token("{}")
    assert runner.invoke(app, ["auth", "logout"]).exit_code == 0
    assert not cached.exists()


def test_no_live_and_rollback_ask_for_no_more_than_they_use(emulator: Emulator, tmp_path: Path) -> None:
    key, _ = _service_account(tmp_path, emulator)
    result = gtmgen(emulator, "publish", str(SPEC), "--yes", "--no-live", credentials=str(key))
    assert result.exit_code == 0, result.output
    assert set(emulator.tokens.values()) == {PUBLISHING[:2]}
    emulator.tokens.clear()
    rollback = gtmgen(emulator, "rollback", str(SPEC), "1", "--yes", credentials=str(key))
    assert rollback.exit_code == 0, rollback.output
    assert set(emulator.tokens.values()) == {PUBLISHING[2:]}
