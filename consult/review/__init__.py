"""Human review of a workspace: a local web app, audited write actions, and an XLSX round trip."""

from consult.review.actions import VersionConflict
from consult.review.app import create_app, serve
from consult.review.sheets import ImportSummary, export_xlsx, import_xlsx

__all__ = ["VersionConflict", "create_app", "serve", "export_xlsx", "import_xlsx", "ImportSummary"]
