"""The workspace: one SQLite file, ``consult.db``, the source of truth for a consultation.

This package is the only code that runs SQL. One module per group of tables:

- :mod:`.schema` every table and view, as numbered migrations;
- :mod:`.db` connections, transactions, the :class:`Workspace` of an output folder;
- :mod:`.responses` the consultation, questions, respondents and responses (ingest);
- :mod:`.dedupe` the dedupe stage's tables and reviewers' duplicate decisions;
- :mod:`.themes` candidate themes;
- :mod:`.codes` the workspace codebook, the model's suggestions and THE final codes;
- :mod:`.answers` an answer's human state (codes, reviewed, quote, redactions) and answer lists;
- :mod:`.code_edits` reviewers' codebook edits;
- :mod:`.events` the audit trail; :mod:`.runs` runs, notes and evaluations;
- :mod:`.caches` the embedding and fine-tuning caches.

Machine stages rewrite their own tables on each run; human decisions live in
tables the machine never overwrites, and every human change is an event.
"""

from consult.workspace.db import DB_NAME, Workspace, connect, now, open_workspace, transaction

__all__ = ["DB_NAME", "Workspace", "connect", "now", "open_workspace", "transaction"]
