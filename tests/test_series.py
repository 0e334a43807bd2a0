"""The series parts and windows (rnnlab/data/series.py): no target of one part in another, the
stock split's sizes, and the Transform (rnnlab/data/scaling.py) fitted on the training part only,
with its round trips."""
import json

import numpy as np
import pytest

from rnnlab.core.errors import LabError
from rnnlab.data import scaling, series
from rnnlab.data.scaling import Transform, check_positive
from rnnlab.data.series import joined, non_positive, part_windows
from rnnlab.data.windows import rows_before as windows
from stages.stock_data import sizes


def numbered_parts(n_train, n_val, n_test, second=True):
    """Parts whose column 0 is the row number in the joined series (column 1: 1000 + row)."""
    rows = np.arange(n_train + n_val + n_test, dtype=np.float64)
    values = np.column_stack([rows, 1000 + rows]) if second else rows[:, None]
    parts, start = {}, 0
    for name, size in zip(series.PARTS, (n_train, n_val, n_test)):
        parts[name] = {"time": rows[start:start + size].copy(), "values": values[start:start + size]}
        start += size
    return parts


def test_joined_gives_the_parts_in_order_and_their_bounds():
    parts = numbered_parts(10, 3, 4)
    times, values, bounds = joined(parts)
    np.testing.assert_array_equal(times, np.arange(17))
    np.testing.assert_array_equal(values[:, 0], np.arange(17))
    assert bounds == {"train": (0, 10), "val": (10, 13), "test": (13, 17)}


@pytest.mark.parametrize("n_train,n_val,n_test,window", [(50, 10, 12, 5), (30, 0, 8, 3),
                                                         (20, 2, 2, 1), (40, 7, 30, 10)])
def test_part_windows_keep_each_target_in_its_own_part(n_train, n_val, n_test, window):
    parts = numbered_parts(n_train, n_val, n_test)
    _, _, bounds = joined(parts)
    expected = {"train": n_train - window, "val": n_val, "test": n_test}
    targets = {}
    for name in series.PARTS:
        raw, y = part_windows(parts, name, window)
        start, stop = bounds[name]
        assert raw.shape == (expected[name], window, 2) and y.shape == (expected[name],)
        # Targets: only rows of this part, each once, in order.
        assert np.all((y >= start) & (y < stop))
        if len(y):
            np.testing.assert_array_equal(y, np.arange(stop - expected[name], stop))
        # Inputs: the `window` rows right before each target (column 1 travels with them).
        np.testing.assert_array_equal(raw[:, :, 0], y[:, None] - np.arange(window, 0, -1))
        np.testing.assert_array_equal(raw[:, :, 1], 1000 + raw[:, :, 0])
        if name == "train":
            assert raw.size == 0 or raw[:, :, 0].max() < stop  # inputs inside the train part too
        assert raw.size == 0 or raw[:, :, 0].min() >= 0
        targets[name] = set(y.tolist())
    assert not targets["train"] & targets["val"]
    assert not targets["train"] & targets["test"]
    assert not targets["val"] & targets["test"]


def test_held_out_windows_may_reach_back_into_earlier_parts():
    parts = numbered_parts(20, 4, 6, second=False)
    raw, y = part_windows(parts, "val", 5)
    assert y[0] == 20 and raw[0, :, 0].tolist() == [15, 16, 17, 18, 19]  # all training rows
    raw, y = part_windows(parts, "test", 5)
    assert y[0] == 24 and raw[0, :, 0].tolist() == [19, 20, 21, 22, 23]  # train and val rows


def test_windows_refuses_a_target_without_a_full_window_before_it():
    with pytest.raises(ValueError, match="fewer than 4 rows"):
        windows(np.arange(10.0)[:, None], 3, 10, 4)
    raw, y = windows(np.arange(10.0)[:, None], 4, 10, 4)
    assert raw.shape == (6, 4, 1) and y.tolist() == [4, 5, 6, 7, 8, 9]


# ---- stock_data.sizes ----

def test_stock_split_sizes_of_the_default_file():
    assert sizes(7983, 0.15, 0.15, 60) == (5589, 1197, 1197)
    assert sum(sizes(7983, 0.15, 0.15, 60)) == 7983


def test_no_val_part_gives_no_val_rows():
    n_train, n_val, n_test = sizes(1000, 0.0, 0.2, 10)
    assert (n_train, n_val, n_test) == (800, 0, 200)


@pytest.mark.parametrize("rows,val,test,window", [(20, 0.15, 0.15, 60),  # train < window + 2
                                                  (100, 0.0, 0.01, 10),  # 1 test row
                                                  (100, 0.01, 0.2, 10),  # 1 val row
                                                  (0, 0.15, 0.15, 1)])
def test_too_few_rows_are_refused_by_stock_data(rows, val, test, window):
    with pytest.raises(LabError, match=r"^stock_data: .* rows make"):
        sizes(rows, val, test, window)


# ---- Transform ----

def price_parts(seed=0):
    """A positive two-column series (price, volume) cut 60/20/20, rising into the test part."""
    rng = np.random.default_rng(seed)
    price = 50 * np.exp(np.cumsum(rng.normal(0.002, 0.02, 200)))
    volume = rng.uniform(1e6, 2e6, 200)
    values = np.column_stack([price, volume])
    values[160:, 0] = values[:120, 0].max() * np.linspace(1.1, 1.5, 40)  # above the training max
    return {"train": {"time": np.arange(120), "values": values[:120]},
            "val": {"time": np.arange(120, 160), "values": values[120:160]},
            "test": {"time": np.arange(160, 200), "values": values[160:]}}


@pytest.mark.parametrize("kind", scaling.TARGETS)
def test_the_fit_sees_only_the_training_part(kind):
    parts = price_parts()
    before = Transform.fit(kind, parts["train"]["values"])
    for name in ("val", "test"):
        parts[name]["values"] = parts[name]["values"] * 10
    after = Transform.fit(kind, parts["train"]["values"])
    np.testing.assert_array_equal(before.shift, after.shift)
    np.testing.assert_array_equal(before.scale, after.scale)
    if kind == "price":  # fitted on every part, the scaling would have changed
        assert not np.array_equal(Transform.fit(kind, joined(parts)[1]).scale, before.scale)


def test_price_maps_the_training_part_onto_zero_to_one_and_later_highs_above_one():
    parts = price_parts()
    t = Transform.fit("price", parts["train"]["values"])
    train = t.inputs(parts["train"]["values"][None])[0]
    assert train.shape == (120, 2)
    np.testing.assert_array_equal(train.min(axis=0), [0, 0])
    np.testing.assert_array_equal(train.max(axis=0), [1, 1])
    raw, y = part_windows(parts, "test", 10)
    assert t.targets(raw, y).min() > 1
    assert t.inputs(raw)[..., 0].max() > 1
    np.testing.assert_array_equal(t.shift, parts["train"]["values"].min(axis=0))


def test_a_constant_training_column_scales_by_one_not_zero():
    values = np.column_stack([np.arange(1.0, 11.0), np.full(10, 7.0)])
    for kind in ("price", "log_return"):
        t = Transform.fit(kind, values)
        assert t.scale[1] == 1.0 and np.isfinite(t.inputs(values[None])).all()


@pytest.mark.parametrize("kind", ["price", "log_return", "value"])
def test_values_undo_targets(kind):
    parts = price_parts(1)
    t = Transform.fit(kind, parts["train"]["values"])
    for name in series.PARTS:
        raw, y = part_windows(parts, name, 8)
        out = t.targets(raw, y)
        assert out.dtype == np.float32 and t.inputs(raw).dtype == np.float32
        np.testing.assert_allclose(t.to_units(raw, out), y, rtol=1e-5)


def test_log_return_inputs_are_standardised_log_returns_one_step_shorter():
    parts = price_parts(2)
    train = parts["train"]["values"]
    t = Transform.fit("log_return", train)
    returns = np.log(train[1:] / train[:-1])
    np.testing.assert_allclose(t.shift, returns.mean(axis=0))
    np.testing.assert_allclose(t.scale, returns.std(axis=0))
    raw, y = part_windows(parts, "val", 6)
    X = t.inputs(raw)
    assert t.steps(6) == 5 and X.shape == (len(raw), 5, 2)
    expected = (np.log(raw[:, 1:] / raw[:, :-1]) - t.shift) / t.scale
    np.testing.assert_allclose(X, expected, rtol=1e-5, atol=1e-6)
    # The target is the next standardised log return of the target column.
    np.testing.assert_allclose(t.targets(raw, y), (np.log(y / raw[:, -1, 0]) - t.shift[0]) / t.scale[0],
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", ["value", "price"])
def test_the_other_kinds_read_every_step_of_the_window(kind):
    assert Transform.fit(kind, np.ones((5, 1)) + np.arange(5)[:, None]).steps(6) == 6


def test_value_is_the_identity():
    parts = price_parts(3)
    t = Transform.fit("value", parts["train"]["values"])
    raw, y = part_windows(parts, "test", 4)
    np.testing.assert_array_equal(t.shift, [0, 0])
    np.testing.assert_array_equal(t.scale, [1, 1])
    np.testing.assert_array_equal(t.inputs(raw), raw.astype(np.float32))
    np.testing.assert_array_equal(t.targets(raw, y), y.astype(np.float32))
    np.testing.assert_array_equal(t.to_units(raw, y), y)


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown target 'returns'"):
        Transform("returns", [0.0], [1.0])


@pytest.mark.parametrize("kind", scaling.TARGETS)
def test_json_round_trip(kind, tmp_path):
    t = Transform.fit(kind, price_parts(4)["train"]["values"])
    again = Transform.from_json(json.loads(json.dumps(t.to_json())))
    assert again.kind == kind
    np.testing.assert_array_equal(again.shift, t.shift)
    np.testing.assert_array_equal(again.scale, t.scale)
    path = tmp_path / "transform.json"
    t.save(path, window=60, columns=["Close", "Volume"])
    loaded, record = Transform.load(path)
    assert loaded.kind == kind and record["window"] == 60 and record["columns"] == ["Close", "Volume"]
    assert record["target"] == kind and record["shift"] == t.shift.tolist()
    np.testing.assert_array_equal(loaded.scale, t.scale)
    raw, y = part_windows(price_parts(4), "test", 5)
    np.testing.assert_array_equal(loaded.inputs(raw), t.inputs(raw))


# ---- check_positive ----

@pytest.mark.parametrize("bad", [0.0, -3.5])
def test_log_return_needs_positive_values_in_every_column(bad):
    parts = price_parts()
    parts["test"]["values"] = parts["test"]["values"].copy()
    parts["test"]["values"][5, 1] = bad
    with pytest.raises(LabError, match=r"column 'Volume' is .* at 165 \(test part\)"):
        check_positive("log_return", non_positive(parts, ["Close", "Volume"]), "series.stock")


@pytest.mark.parametrize("kind", ["price", "value"])
def test_other_kinds_take_any_value(kind):
    parts = numbered_parts(5, 2, 3)  # starts at 0
    parts["test"]["values"] = -parts["test"]["values"]
    assert check_positive(kind, non_positive(parts, ["a", "b"]), "series.stock") is None


def test_positive_values_pass_for_log_return():
    assert non_positive(price_parts(), ["Close", "Volume"]) is None
    assert check_positive("log_return", None, "series.stock") is None
