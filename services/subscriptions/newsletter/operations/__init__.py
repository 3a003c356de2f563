"""Use-cases of the newsletter part: plain functions on a Session that may flush and never commit.

articles   submission, the review workflow, the author's resubmission and withdrawal
issues     compose and edit issues, the upcoming-events section
content    article Markdown, and an issue's content as the email and the archive show it
sending    send now or at a time, the resumable expansion into mailer batches, pause/resume/cancel
progress   what the mailer reports of an issue's campaign: {total, sent, failed}
preview    the issue as a subscriber gets it, rendered by the mailer
archive    the public archive of sent issues and its Atom feed
"""
