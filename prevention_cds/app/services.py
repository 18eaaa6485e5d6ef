"""What the application serves with, typed: ``services(current_app).evaluator`` rather than a string key.

``create_app`` installs them once; the blueprints, the server start-up and the tests read them here.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from prevention_cds.adapters.feedback_store import FeedbackStore
from prevention_cds.evaluate import CdsEvaluator
from prevention_cds.settings import Settings
from prevention_cds.workspace.accounts import Accounts
from prevention_cds.workspace.service import Workspace

_KEY = "prevention_cds"


@dataclass(frozen=True)
class Services:
    settings: Settings
    evaluator: CdsEvaluator
    feedback_store: FeedbackStore
    workspace: Workspace
    accounts: Accounts


def install(app: Flask, installed: Services) -> None:
    app.extensions[_KEY] = installed


def services(app: Flask) -> Services:
    """The services of ``app`` (a ``current_app`` proxy works too)."""
    installed: Services = app.extensions[_KEY]
    return installed
