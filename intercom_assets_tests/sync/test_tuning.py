"""A sync tunes the collector only while it runs and caps malloc arenas on glibc."""

import gc

import pytest

from intercom_assets.sync.tuning import GC_THRESHOLDS, limit_malloc_arenas, tuned_for_bulk_json


def test_the_collector_runs_less_often_inside_and_as_before_after():
    before = gc.get_threshold()
    with tuned_for_bulk_json(gc_threshold=12_345):
        assert gc.get_threshold() == (12_345, *GC_THRESHOLDS[1:])
    assert gc.get_threshold() == before


def test_what_existed_before_the_sync_is_frozen_out_of_the_collector_until_it_ends():
    existing = [[index] for index in range(1_000)]
    with tuned_for_bulk_json():
        assert gc.get_freeze_count() >= len(existing)
        with tuned_for_bulk_json():  # a nested sync keeps the outer freeze
            pass
        assert gc.get_freeze_count() >= len(existing)
    assert gc.get_freeze_count() == 0


def test_thresholds_are_restored_when_the_sync_fails():
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), tuned_for_bulk_json():
        raise RuntimeError("sync failed")
    assert gc.get_threshold() == before


def test_malloc_arenas_are_capped_on_glibc():
    assert limit_malloc_arenas() is True
