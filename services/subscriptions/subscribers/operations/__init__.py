"""Use-cases of the subscribers part: plain functions on a Session that flush, never commit.

- consent: subscribe (double opt-in), confirm, change preferences, unsubscribe, bounces and complaints
- listing: the one search, counts, growth and CSV export of subscribers (API and workspace)
- intake: the subscribe request recorded (one committed outbox row and its message) before the answer
- importing: CSV import (reads the export back); bulk: its many-rows writes (COPY, unnest)
- links: personal links in emails and reading them back
"""
