import pytest

from intercom_assets.sync.days import day_of, usable_epoch


@pytest.mark.parametrize(
    ("epoch", "day"),
    [
        (-62_135_596_801, None),
        (-62_135_596_800, "0001-01-01"),
        (0, "1970-01-01"),
        (1_764_547_200.5, "2025-12-01"),
        ("1764547200", "2025-12-01"),
        (253_402_300_799, "9999-12-31"),
        (253_402_300_800, None),
        (10**30, None),
        (True, None),
        (None, None),
        ("soon", None),
    ],
)
def test_an_epoch_is_usable_exactly_when_it_has_a_day(epoch, day):
    assert day_of(epoch) == day
    assert usable_epoch(epoch) is (day is not None)
