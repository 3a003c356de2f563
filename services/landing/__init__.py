"""The landing page at `/` (part of the gateway, not a service): `app.py` builds it, `pages.py` serves it."""

from __future__ import annotations

from services.landing.app import create_app

__all__ = ["create_app"]
