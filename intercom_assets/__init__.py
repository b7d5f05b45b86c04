"""Mirror Intercom conversations and every message into DuckDB with Dagster."""

import warnings

import dagster as dg

# We rely on BackfillPolicy.single_run (beta) and partitioned asset checks (preview) on purpose;
# their warnings would only repeat that on every import.
warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)
