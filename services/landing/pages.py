"""The landing page at `/`: what the network offers, with links to the newsletter and events."""

from __future__ import annotations

from flask import Flask, render_template


def register(app: Flask) -> None:
    app.add_url_rule("/", "index", index)


def index() -> str:
    return render_template("landing.html")
