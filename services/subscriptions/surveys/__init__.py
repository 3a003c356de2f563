"""The yearly network survey (issue #17, point 1): the coordinator writes a survey in fi/sv/en, picks its
audience (the cooperation group's members, subscribers of a topic, this year's event participants, or a
union of these) and sends it; each person gets a personal single-use answer link in their language;
reminders go to those who have not answered; answers are anonymous in every report and export.

models      the group's roster, surveys, questions, invitations (while open), anonymous responses and answers
operations  building (drafts), members (the roster), audience, sending (send, remind, close), answering,
            results (figures, the annual report's `results_for_year`, the XLSX rows)
emails      the invitation and the reminder, with their keys
links       the signed single-use answer link
api         a survey's results (coordinator token)
pages       the public answer page (GET shows the form, POST records the answer once)
workspace   the coordinator's pages: surveys, builder, preview, send, reminders, results, close, export, roster
privacy     addresses held on invitations and in the roster: export and erase
demo        a closed 2025 survey with anonymous answers, a 2026 draft, the roster from the seeds
"""
