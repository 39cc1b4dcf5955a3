"""`integrations` exports what a caller needs; the old import paths keep working; importing it stays light."""

from __future__ import annotations

import subprocess
import sys

import integrations
import integrations._exceptions as exceptions
import integrations.views as views


def test_every_public_name_is_importable_and_listed_once() -> None:
    assert len(integrations.__all__) == len(set(integrations.__all__))
    for name in integrations.__all__:
        assert getattr(integrations, name) is not None, name


def test_the_whole_error_tree_is_public_and_drawn() -> None:
    errors = {
        name
        for name in exceptions.__all__
        if isinstance(getattr(exceptions, name), type) and issubclass(getattr(exceptions, name), Exception)
    }
    assert errors <= set(integrations.__all__)
    tree = exceptions.__doc__ or ""
    assert all(f"── {name} " in tree or f"    {name}\n" in tree for name in errors), errors
    assert issubclass(integrations.BackendNotEnabledError, integrations.OrangeError)
    assert issubclass(integrations.BackendNotEnabledError, LookupError)


def test_old_import_paths_name_the_same_objects() -> None:
    from integrations._query import check_id
    from integrations._redact import install_log_redaction, redact, register_secret
    from integrations.client import BackendNotEnabledError, OrangeClient
    from integrations.pagination import AsyncPaginator, Page
    from integrations.settings import BACKENDS, OrangeSettings

    assert BackendNotEnabledError is integrations.BackendNotEnabledError
    assert (check_id, redact, register_secret, install_log_redaction) == (
        integrations.check_id,
        integrations.redact,
        integrations.register_secret,
        integrations.install_log_redaction,
    )
    assert (OrangeClient, OrangeSettings, BACKENDS, Page, AsyncPaginator) == (
        integrations.OrangeClient,
        integrations.OrangeSettings,
        integrations.BACKENDS,
        integrations.Page,
        integrations.AsyncPaginator,
    )


def test_views_package_exports_every_name() -> None:
    for name in views.__all__:
        assert getattr(views, name) is not None, name
    assert views.BusinessRequestView is views.OrderView


def test_importing_integrations_does_not_import_the_sandbox() -> None:
    code = "import sys, integrations; print(sorted(m for m in sys.modules if 'sandbox' in m or 'starlette' in m))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
