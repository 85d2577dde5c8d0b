"""Shared assertion helpers: they catch what they promise and say where."""

import numpy as np
import pandas as pd
import pytest
import torch

from graders.checks import assert_array, assert_frame, assert_tensor
from graders.clocks import ManualClock


def test_assert_tensor_catches_type_shape_dtype_values():
    """Subclasses, wrong shapes, dtypes, NaN positions and values are each reported."""
    e = torch.tensor([1.0, 2.0, float("nan")])
    assert_tensor(e.clone(), e, what="f()")

    class Liar(torch.Tensor):
        pass

    for bad, msg in [
        (e.as_subclass(Liar), "expected a torch.Tensor"),
        (e[:2], "shape"),
        (e.double(), "dtype"),
        (torch.tensor([1.0, 2.0, 3.0]), "NaN positions"),
        (torch.tensor([1.0, 2.1, float("nan")]), r"worst at index \(1,\)"),
    ]:
        with pytest.raises(AssertionError, match=msg):
            assert_tensor(bad, e, what="f()")


def test_tolerance_scales_with_magnitude():
    """A relative error within tolerance passes at any scale; a constant factor fails at every
    scale."""
    for scale in (1e-6, 1.0, 1e6):
        e = np.array([1.0, -2.0, 3.0]) * scale
        assert_array(e * (1 + 1e-12), e, what="g()")
        with pytest.raises(AssertionError):
            assert_array(e * 1.01, e, what="g()")


def test_assert_frame():
    """Columns, dtypes, index, NaN and values of a DataFrame, with the row named."""
    e = pd.DataFrame({"k": [1, 2], "v": [0.5, np.nan]}, index=[10, 11])
    assert_frame(e.copy(), e, what="join()")
    with pytest.raises(AssertionError, match="index differs"):
        assert_frame(e.reset_index(drop=True), e, what="join()")
    with pytest.raises(AssertionError, match="column 'v'"):
        assert_frame(e.assign(v=[0.5, 1.0]), e, what="join()")
    with pytest.raises(AssertionError, match="row 1"):
        assert_frame(e.assign(k=[1, 3]), e, what="join()")


def test_manual_clock():
    """The clock moves only when told, never backwards."""
    c = ManualClock(5)
    assert c() == 5 and c.advance(1.5) == 6.5 and c.now() == 6.5
    with pytest.raises(ValueError):
        c.advance(-1)


def test_infinities_must_match_position_and_sign():
    """An infinity is never close to a finite number, nor to the other infinity; matching
    infinities pass and do not inflate the tolerance of the finite values."""
    e = np.array([-np.inf, 0.0, 1.0, np.inf])
    assert_array(e.copy(), e, what="log_snr()")
    for bad in (np.array([-708.4, 0.0, 1.0, np.inf]), np.array([np.inf, 0.0, 1.0, np.inf]),
                np.array([-np.inf, 0.0, 1.0, 1e308]), np.array([-np.inf, np.inf, 1.0, np.inf])):  # fmt: skip
        with pytest.raises(AssertionError, match="infinities differ"):
            assert_array(bad, e, what="log_snr()")
    with pytest.raises(AssertionError, match="worst at index"):
        assert_array(np.array([-np.inf, 0.0, 1.5, np.inf]), e, what="log_snr()")


def test_nan_against_infinity_and_shape():
    """A NaN where an infinity is expected, and a shape mismatch, are reported."""
    e = np.array([np.inf, 1.0])
    with pytest.raises(AssertionError, match="NaN positions"):
        assert_array(np.array([np.nan, 1.0]), e, what="f()")
    with pytest.raises(AssertionError, match="shape"):
        assert_array(np.array([np.inf]), e, what="f()")


def test_assert_raises_value_error_passes_only_on_value_error():
    """The shared bad-input check: a ValueError passes; another exception or a return fails,
    naming the call, what happened and the rule."""
    from graders.checks import assert_raises_value_error

    def bad():
        raise ValueError("T must be positive")

    assert_raises_value_error(bad, "f(T=0)", "R1")

    def wrong_type():
        raise TypeError("nope")

    with pytest.raises(AssertionError, match=r"f\(T=0\) raised TypeError: nope; R1: ValueError"):
        assert_raises_value_error(wrong_type, "f(T=0)", "R1")
    with pytest.raises(
        AssertionError, match=r"f\(T=0\) returned 3 instead of raising ValueError; R2"
    ):
        assert_raises_value_error(lambda: 3, "f(T=0)", "R2")
    with pytest.raises(AssertionError, match=r"returned 'x+\.\.\. instead"):
        assert_raises_value_error(lambda: "x" * 500, "f()", "R2")
