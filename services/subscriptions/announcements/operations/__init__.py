"""Use-cases of the announcements part (plain functions on a Session that flush, never commit).

choices     each subscriber's choice: a mail per event, a weekly digest, or none
receiving   an announced event is stored once and its mailing starts
sending     a mailing expanded into mailer batches step by step; pause, resume, cancel
digest      the weekly digest of the week's announcements (a scheduler job, Monday 8:00 Helsinki)
"""
