"""Human review of a workspace: a local web app and an XLSX round trip (writes go through consult.workspace)."""

from consult.review.app import create_app, serve
from consult.review.sheets import ImportSummary, export_xlsx, import_xlsx

__all__ = ["create_app", "serve", "export_xlsx", "import_xlsx", "ImportSummary"]
