"""A sync tunes the collector only while it runs and caps malloc arenas on glibc."""

import gc

import pytest

from intercom_assets.sync.tuning import limit_malloc_arenas, tuned_for_bulk_json


def test_the_collector_runs_less_often_inside_and_as_before_after():
    before = gc.get_threshold()
    with tuned_for_bulk_json(gc_threshold=12_345):
        assert gc.get_threshold() == (12_345, *before[1:])
    assert gc.get_threshold() == before


def test_thresholds_are_restored_when_the_sync_fails():
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), tuned_for_bulk_json():
        raise RuntimeError("sync failed")
    assert gc.get_threshold() == before


def test_malloc_arenas_are_capped_on_glibc():
    assert limit_malloc_arenas() is True
