"""A local, deterministic Intercom REST API (conversations subset) for tests and demos.

Endpoints: GET /me, POST /conversations/search, GET /conversations, GET /conversations/{id},
GET /conversations/deleted. Choices where Intercom's behaviour is undocumented:

- search `>` / `<` are strict, `>=` / `<=` inclusive; `per_page` outside 1..150 is a 400
  (the spec declares `maximum: 150`); without `sort`, results are newest-created first.
- string operators (`~ !~ ^ $`) match case-insensitive substrings of the whole value.
- a pinned `now` freezes the data clock (moved only by `set_now` / `advance`); without it the
  clock follows real time. Rate-limit windows always use real time.
- close / reopen / snooze append the matching event part, as the Intercom inbox does.

Fidelity knobs for behaviours the real API may have (all off by default, see `EmulatorConfig`
and `FaultConfig`): `id_comparison` (numeric / string / reject), `search_lag_seconds`,
`deleted_order`, `long_id_share`, silent changes (`Emulator.set_attributes(...,
bump_updated_at=False)`), `faults.stale_read_rate` and `faults.html_404_rate`.
"""

from intercom_assets.emulator.config import EmulatorConfig, FaultConfig
from intercom_assets.emulator.emulator import Emulator, running_emulator

__all__ = ["Emulator", "EmulatorConfig", "FaultConfig", "running_emulator"]
