"""Dagster components of this package (registered through `intercom_assets`)."""

from intercom_assets.components.workspace import IntercomWorkspaceComponent, load_workspace_spec

__all__ = ["IntercomWorkspaceComponent", "load_workspace_spec"]
