"""Announcements of new public events to the subscribers of `events` (issue #18).

The events service sends EVENT_ANNOUNCED once per event that becomes public; this part stores it and mails
it, the same durable way as a newsletter issue, to each subscriber who wants a mail per event, and once a
week a digest to those who want one. Every mail carries a one-click link that stops announcements only.

models      choices, announcements, mailings, deliveries
operations  choices, receiving, sending (pause, resume, cancel), digest, content
emails      which mail goes to whom, with its key
links       the signed one-click stop link
actors      EVENT_ANNOUNCED and the expansion steps
jobs        the weekly digest (Monday 8:00 Helsinki)
api         an announcement's state; pause, resume, cancel (coordinator)
pages       the stop page (GET shows a button, POST stops)
workspace   the coordinator's list of mailings and a mailing's page: progress, pause, resume, cancel, feedback
"""
