import pytest

from crm.stats import kpi


def test_service_level_ignores_short_abandons_and_states_its_method() -> None:
    result = kpi.service_level(3, 5, 2, t_s=20, short_abandon_s=5)
    assert result.value == pytest.approx(100 * 3 / 7)
    assert (result.numerator, result.denominator) == (3, 7)
    assert result.thresholds == {"t": 20, "short": 5}
    assert "within 20 s" in result.method and "5 s or more" in result.method
    assert "{t}" in result.method_template  # the web layer translates the template
    data = result.as_dict()
    assert data["label"] == "Service level" and data["unit"] == "percent"


def test_nothing_measured_gives_none_not_zero() -> None:
    assert kpi.service_level(0, 0, 0, 20, 5).value is None
    assert kpi.average_speed_of_answer(0, 0).value is None
    assert kpi.occupancy(0, 0).value is None


def test_the_other_formulas() -> None:
    assert kpi.average_speed_of_answer(100, 5).value == 20
    assert kpi.average_handle_time(400, 30, 100, 5).value == 106
    assert kpi.abandon_rate(2, 8, 5).value == 25
    assert kpi.occupancy(135, 8565).value == pytest.approx(100 * 135 / 8700)
    for key in kpi.LABELS:
        assert kpi.METHODS[key]
    # the per-group totals count the same figure another way, and say so
    own = kpi.Kpi("service_level", 50.0, kpi.PERCENT, 1, 2, {"t": 20, "short": 5},
                  method_key="service_level_own_t")
    assert own.label == kpi.LABELS["service_level"] and "own group's threshold" in own.method
