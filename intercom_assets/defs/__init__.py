"""The code location's component definitions: one folder per mirrored Intercom workspace.

`intercom/defs.yaml` is the default workspace (every ★ name, from the ★ environment
variables). A second workspace is one more folder, e.g. `dg scaffold defs
intercom_assets.IntercomWorkspaceComponent intercom_eu`.
"""
