"""Credentials for the Tag Manager API, the standard Google ways, with minimal scopes.

Order: `--credentials FILE` / `GTMGEN_CREDENTIALS` (a service-account key or an
authorized-user file, told apart by its `type`), then the token cached by `gtmgen auth
login`, then Application Default Credentials. `none` means anonymous and is accepted only
for an `http://127.0.0.1`/`localhost` endpoint (the emulator). Credentials and tokens are
never printed or logged: errors name the file, never its content.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from gtmgen.errors import AuthError, InputError

SCOPE_PREFIX = "https://www.googleapis.com/auth/tagmanager."
READONLY = SCOPE_PREFIX + "readonly"
EDIT_CONTAINERS = SCOPE_PREFIX + "edit.containers"
EDIT_VERSIONS = SCOPE_PREFIX + "edit.containerversions"
PUBLISH = SCOPE_PREFIX + "publish"
Purpose = Literal["read", "version", "publish", "rollback"]
# The least each command needs (tagmanager-api.md §3): plan reads; publish --no-live edits and
# creates a version; publish also publishes it; rollback only publishes an existing version.
SCOPES_BY_PURPOSE: dict[Purpose, tuple[str, ...]] = {
    "read": (READONLY,),
    "version": (EDIT_CONTAINERS, EDIT_VERSIONS),
    "publish": (EDIT_CONTAINERS, EDIT_VERSIONS, PUBLISH),
    "rollback": (PUBLISH,),
}
LOGIN_SCOPES = (READONLY, EDIT_CONTAINERS, EDIT_VERSIONS, PUBLISH)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def is_loopback(endpoint: str | None) -> bool:
    if not endpoint:
        return False
    url = urlsplit(endpoint)
    return url.scheme == "http" and (url.hostname or "") in LOOPBACK_HOSTS


def config_dir() -> Path:
    """Where `gtmgen auth login` keeps its token: $GTMGEN_CONFIG_DIR, else the XDG config dir."""
    explicit = os.environ.get("GTMGEN_CONFIG_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "gtmgen"


def token_path() -> Path:
    return config_dir() / "credentials.json"


def load_credentials(source: str | None, purpose: Purpose, endpoint: str | None) -> Any | None:
    """Credentials with the scopes `purpose` needs; None for anonymous (loopback endpoints only)."""
    scopes = SCOPES_BY_PURPOSE[purpose]
    if source == "none":
        if not is_loopback(endpoint):
            raise InputError("--credentials none works only with an http://127.0.0.1 or localhost --api-endpoint")
        return None
    if source:
        return credentials_from_file(Path(source), scopes)
    if token_path().is_file():
        return credentials_from_file(token_path(), scopes)
    return _default_credentials(scopes)


def credentials_from_file(path: Path, scopes: Sequence[str]) -> Any:
    """A service-account key or an authorized-user file, told apart by its `type`."""
    info = _read_json(path)
    kind = info.get("type")
    if kind == "service_account":
        from google.oauth2 import service_account

        try:
            return service_account.Credentials.from_service_account_info(info, scopes=list(scopes))  # type: ignore[no-untyped-call]
        except (ValueError, KeyError) as error:
            raise InputError(f"{path}: not a usable service-account key ({type(error).__name__})") from None
    if kind == "authorized_user":
        from google.oauth2 import credentials

        try:
            return credentials.Credentials.from_authorized_user_info(info, scopes=list(scopes))  # type: ignore[no-untyped-call]
        except (ValueError, KeyError) as error:
            raise InputError(f"{path}: not a usable authorized-user file ({type(error).__name__})") from None
    raise InputError(
        f"{path}: unknown credentials type {kind!r}; expected a service-account key (type service_account) "
        "or an authorized-user file (type authorized_user, as `gtmgen auth login` writes)"
    )


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: credentials file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise InputError(f"{path}: not a JSON credentials file") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a JSON credentials file")
    return data


def _default_credentials(scopes: Sequence[str]) -> Any:
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    try:
        found, _project = google.auth.default(scopes=list(scopes))
    except DefaultCredentialsError:
        raise AuthError(
            "no credentials: pass --credentials FILE (a service-account key), run `gtmgen auth login "
            "--client-secrets FILE`, or set up Application Default Credentials"
        ) from None
    return found


def login(client_secrets: Path, *, open_browser: bool = True, port: int = 0) -> Path:
    """The installed-app OAuth flow; the token is cached at mode 0600 and its path returned."""
    from google_auth_oauthlib.flow import InstalledAppFlow

    if not client_secrets.is_file():
        raise InputError(f"{client_secrets}: client secrets file not found")
    try:
        flow = InstalledAppFlow.from_client_secrets_file(str(client_secrets), scopes=list(LOGIN_SCOPES))
    except ValueError:
        raise InputError(f"{client_secrets}: not an OAuth client secrets file for an installed app") from None
    credentials = flow.run_local_server(port=port, open_browser=open_browser)
    return save_token(credentials.to_json())


def save_token(token_json: str) -> Path:
    """Write the token file atomically, readable by its owner only."""
    target = token_path()
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".credentials-")
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(token_json)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
