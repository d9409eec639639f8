"""Read procedure records from the portal's JSON, the structured (BQP) JSON and XLSX list exports."""

from knowledge.importers.loader import ImportError_, ImportResult, load_paths

__all__ = ["ImportError_", "ImportResult", "load_paths"]
