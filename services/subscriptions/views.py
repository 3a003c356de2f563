"""HTTP layer of the subscriptions service: each part registers its own pages and API."""

from __future__ import annotations

from flask import Flask

from services.subscriptions.newsletter import views as newsletter_views
from services.subscriptions.subscribers import views as subscriber_views
from shared.errors import ProblemApi


def register(app: Flask, api: ProblemApi) -> None:
    subscriber_views.register(app, api)
    newsletter_views.register(app, api)
