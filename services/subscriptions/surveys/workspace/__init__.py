"""The coordinator's survey pages in the workspace (/newsletter/admin/surveys, coordinators only).

builder   the list of surveys, a survey's page, new and edit (questions in fi/sv/en), preview
sending   send (the audience, then "Send the survey to N people?"), remind (with the count), close
results   results with charts and tables, the anonymous XLSX export
members   the cooperation group's roster: paste lines, add one, remove (after a confirmation)
Only a POST (with the workspace's CSRF token) changes anything; mass and destructive actions ask first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint

from services.subscriptions.surveys.workspace import builder, members, results, sending
from shared.web_auth import login_required


def add_routes(blueprint: Blueprint) -> None:
    coordinator = login_required("coordinator")
    routes: list[tuple[str, str, Callable[..., Any], list[str]]] = [
        ("/surveys", "surveys", builder.surveys_page, ["GET"]),
        ("/surveys/new", "survey_new", builder.new_page, ["GET", "POST"]),
        ("/surveys/<int:survey_id>", "survey", builder.survey_page, ["GET"]),
        ("/surveys/<int:survey_id>/edit", "survey_edit", builder.edit_page, ["GET", "POST"]),
        ("/surveys/<int:survey_id>/preview", "survey_preview", builder.preview_page, ["GET"]),
        ("/surveys/<int:survey_id>/send", "survey_send", sending.send_page, ["GET", "POST"]),
        ("/surveys/<int:survey_id>/remind", "survey_remind", sending.remind_page, ["POST"]),
        ("/surveys/<int:survey_id>/close", "survey_close", sending.close_page, ["POST"]),
        ("/surveys/<int:survey_id>/results", "survey_results", results.results_page, ["GET"]),
        ("/surveys/<int:survey_id>/results.xlsx", "survey_export", results.export_xlsx, ["GET"]),
        ("/surveys/members", "survey_members", members.members_page, ["GET", "POST"]),
        ("/surveys/members/<int:member_id>/remove", "survey_member_remove", members.remove_page, ["POST"]),
    ]
    for rule, endpoint, view, methods in routes:
        blueprint.add_url_rule(rule, endpoint, coordinator(view), methods=methods)
