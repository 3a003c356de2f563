"""The network's annual report: the newsletter's, the events' and the survey's figures of one year, composed."""
