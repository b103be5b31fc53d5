"""Conversation threads shared by mediation, consultations and hearings: persisted
messages and attachments, access rules per kind of thread, and live delivery to browsers
and phones (server-sent events).

- ``models``: the ``thread_message`` and ``thread_attachment`` tables;
- ``services``: which thread a caller may read or write, posting, polling;
- ``api``: the phone API routes each kind of thread registers, the event stream and
  attachment downloads.
"""
