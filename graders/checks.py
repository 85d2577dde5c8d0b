"""Assertion helpers shared by hidden suites: exact type, shape, dtype, device and NaN
positions, and float tolerances that scale with the magnitude of the expected values.

Every failure message says what was called, what came back and what was expected, so a
candidate reading the report learns where the bug is (KATA_SPEC section 2, hidden tests).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

#: Relative tolerance by dtype name when a test gives none.
DEFAULT_RTOL = {
    "float64": 1e-9, "float32": 2e-5, "float16": 2e-3, "bfloat16": 1.6e-2,
    "complex128": 1e-9, "complex64": 2e-5,
}  # fmt: skip


def _dtype_name(x: Any) -> str:
    return str(x.dtype).replace("torch.", "")


def _to_numpy(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):  # a torch tensor
        x = x.detach().cpu()
        if str(x.dtype) == "torch.bfloat16":
            x = x.float()
        return x.numpy()
    return np.asarray(x)


def assert_close_values(
    actual: np.ndarray,
    expected: np.ndarray,
    *,
    what: str,
    rtol: float,
    atol: float | None = None,
) -> None:
    """Elementwise ``|a - e| <= atol + rtol * |e|``, with NaNs in the same places and
    infinities in the same places with the same sign (an infinity is never "close" to a large
    finite number).

    ``atol`` defaults to ``rtol * max(1, max|e|)`` over the finite expected values: the
    tolerance scales with the values' magnitude, so a result off by a constant factor fails at
    every scale.
    """
    a = np.asarray(actual, dtype=np.complex128 if np.iscomplexobj(actual) else np.float64)
    e = np.asarray(expected, dtype=np.complex128 if np.iscomplexobj(expected) else np.float64)
    if a.shape != e.shape:
        raise AssertionError(f"{what}: shape {a.shape}, expected {e.shape}")
    nan_a, nan_e = np.isnan(a), np.isnan(e)
    if not np.array_equal(nan_a, nan_e):
        where = np.argwhere(nan_a != nan_e)[0]
        raise AssertionError(
            f"{what}: NaN positions differ, first at index {tuple(int(i) for i in where)} "
            f"(got {a[tuple(where)]}, expected {e[tuple(where)]}); "
            f"{int(nan_a.sum())} NaNs returned, {int(nan_e.sum())} expected"
        )
    inf_a, inf_e = np.isinf(a) & ~nan_a, np.isinf(e) & ~nan_e
    wrong_inf = (inf_a != inf_e) | (inf_e & (a != e))
    if wrong_inf.any():
        where = tuple(int(i) for i in np.argwhere(wrong_inf)[0])
        raise AssertionError(
            f"{what}: infinities differ, first at index {where}: got {a[where]}, expected "
            f"{e[where]} ({int(inf_a.sum())} infinite values returned, {int(inf_e.sum())} expected)"
        )
    finite = ~(nan_e | inf_e)
    if not finite.any():
        return
    scale = float(np.max(np.abs(e[finite]), initial=0.0))
    tol_abs = atol if atol is not None else rtol * max(1.0, scale)
    with np.errstate(invalid="ignore"):
        err = np.where(finite, np.abs(a - e), 0.0)
    allowed = tol_abs + rtol * np.abs(np.where(finite, e, 0.0))
    bad = err > allowed
    if bad.any():
        idx = np.unravel_index(int(np.argmax(np.where(bad, err - allowed, -np.inf))), err.shape)
        raise AssertionError(
            f"{what}: {int(bad.sum())} of {bad.size} values wrong; worst at index "
            f"{tuple(int(i) for i in idx)}: got {a[idx]:.6g}, expected {e[idx]:.6g} "
            f"(abs error {err[idx]:.3g}, allowed {allowed[idx]:.3g})"
        )


def assert_tensor(
    actual: Any,
    expected: Any,
    *,
    what: str,
    rtol: float | None = None,
    atol: float | None = None,
    check_device: bool = True,
) -> None:
    """``actual`` is exactly a ``torch.Tensor`` with ``expected``'s shape, dtype and device,
    NaNs in the same places, and values within tolerance (see :func:`assert_close_values`).

    ``rtol`` defaults by dtype (:data:`DEFAULT_RTOL`). Subclasses of ``torch.Tensor`` are
    refused: a submission could otherwise return an object whose comparisons lie.
    """
    import torch

    if type(actual) is not torch.Tensor:
        raise AssertionError(f"{what}: returned {type(actual).__name__}, expected a torch.Tensor")
    if tuple(actual.shape) != tuple(expected.shape):
        raise AssertionError(
            f"{what}: returned shape {tuple(actual.shape)}, expected {tuple(expected.shape)}"
        )
    if actual.dtype != expected.dtype:
        raise AssertionError(f"{what}: returned dtype {actual.dtype}, expected {expected.dtype}")
    if check_device and actual.device != expected.device:
        raise AssertionError(
            f"{what}: returned a tensor on {actual.device}, expected {expected.device}"
        )
    tol = rtol if rtol is not None else DEFAULT_RTOL.get(_dtype_name(expected), 1e-6)
    assert_close_values(_to_numpy(actual), _to_numpy(expected), what=what, rtol=tol, atol=atol)


def assert_array(
    actual: Any,
    expected: np.ndarray,
    *,
    what: str,
    rtol: float | None = None,
    atol: float | None = None,
) -> None:
    """``actual`` is exactly a ``numpy.ndarray`` with ``expected``'s shape and dtype, NaNs in
    the same places, and values within tolerance (exact for integer and boolean dtypes)."""
    if type(actual) is not np.ndarray:
        raise AssertionError(f"{what}: returned {type(actual).__name__}, expected numpy.ndarray")
    if actual.shape != expected.shape:
        raise AssertionError(f"{what}: returned shape {actual.shape}, expected {expected.shape}")
    if actual.dtype != expected.dtype:
        raise AssertionError(f"{what}: returned dtype {actual.dtype}, expected {expected.dtype}")
    if expected.dtype.kind in "biuUSO":
        if not np.array_equal(actual, expected):
            idx = tuple(int(i) for i in np.argwhere(actual != expected)[0])
            raise AssertionError(
                f"{what}: differs at index {idx}: got {actual[idx]!r}, expected {expected[idx]!r}"
            )
        return
    tol = rtol if rtol is not None else DEFAULT_RTOL.get(expected.dtype.name, 1e-6)
    assert_close_values(actual, expected, what=what, rtol=tol, atol=atol)


def describe(x: Any) -> str:
    """Short description of an argument for failure messages: ``tensor(8, 3) float32 cpu``."""
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        kind = "tensor" if hasattr(x, "detach") else "array"
        dev = f" {x.device}" if hasattr(x, "device") and kind == "tensor" else ""
        return f"{kind}{tuple(x.shape)} {_dtype_name(x)}{dev}"
    return repr(x)


def assert_frame(
    actual: Any,
    expected: Any,
    *,
    what: str,
    rtol: float | None = None,
    atol: float | None = None,
    check_index: bool = True,
) -> None:
    """``actual`` is exactly a ``pandas.DataFrame`` with ``expected``'s columns (same order),
    dtypes, index (when ``check_index``) and values: NaN/NaT in the same places, floats within
    magnitude-scaled tolerance, everything else equal. Messages name the column and row."""
    import pandas as pd

    if type(actual) is not pd.DataFrame:
        raise AssertionError(
            f"{what}: returned {type(actual).__name__}, expected a pandas.DataFrame"
        )
    if list(actual.columns) != list(expected.columns):
        raise AssertionError(
            f"{what}: columns {list(actual.columns)}, expected {list(expected.columns)}"
        )
    if len(actual) != len(expected):
        raise AssertionError(f"{what}: {len(actual)} rows, expected {len(expected)}")
    if check_index and not actual.index.equals(expected.index):
        diff = next(
            (
                i
                for i, (a, e) in enumerate(zip(actual.index, expected.index, strict=True))
                if a != e
            ),
            None,
        )
        raise AssertionError(
            f"{what}: index differs"
            + (f" first at position {diff}: {actual.index[diff]!r} vs {expected.index[diff]!r}"
               if diff is not None else f" ({actual.index.dtype} vs {expected.index.dtype})")
        )  # fmt: skip
    for col in expected.columns:
        a, e = actual[col], expected[col]
        if a.dtype != e.dtype:
            raise AssertionError(f"{what}: column {col!r} has dtype {a.dtype}, expected {e.dtype}")
        label = f"{what}, column {col!r}"
        if pd.api.types.is_float_dtype(e.dtype):
            tol = rtol if rtol is not None else DEFAULT_RTOL.get(str(e.dtype), 1e-9)
            assert_close_values(a.to_numpy(), e.to_numpy(), what=label, rtol=tol, atol=atol)
            continue
        na_a, na_e = a.isna().to_numpy(), e.isna().to_numpy()
        same = (a.to_numpy() == e.to_numpy()) | (na_a & na_e)
        if not (na_a == na_e).all() or not same.all():
            pos = int(np.argmin(same & (na_a == na_e)))
            raise AssertionError(
                f"{label}: row {pos} (index {actual.index[pos]!r}) is {a.iloc[pos]!r}, "
                f"expected {e.iloc[pos]!r}"
            )


def assert_float(value: Any, *, what: str) -> float:
    """``value`` is exactly a Python ``float`` (not a numpy scalar, not an int); returns it."""
    if type(value) is not float:
        raise AssertionError(f"{what} returned {type(value).__name__} {value!r}, expected float")
    return value


def assert_float_fields(
    got: Any,
    expected: Any,
    names: tuple[str, ...],
    *,
    what: str,
    rel_tol: float = 1e-9,
    abs_tol: float = 1e-12,
    hint: str = "",
) -> None:
    """``got`` is a tuple (a NamedTuple, say) of Python floats, one per name, each within
    ``rel_tol``/``abs_tol`` of ``expected``; the message names the first field that differs."""
    import math

    if not isinstance(got, tuple) or len(got) != len(names):
        raise AssertionError(f"{what} returned {got!r}, expected a tuple of ({', '.join(names)})")
    for name, g, e in zip(names, got, expected, strict=True):
        assert_float(g, what=f"{what}.{name}")
        if not math.isclose(g, float(e), rel_tol=rel_tol, abs_tol=abs_tol):
            raise AssertionError(f"{what} returned {name}={g!r}, expected {float(e)!r}. {hint}")


def assert_raises_value_error(call: Callable[[], Any], what: str, rule: str) -> None:
    """``call()`` must raise ``ValueError`` (the statements' error for bad input).

    Args:
        call: a no-argument callable making the candidate's call.
        what: the call as the candidate should read it (``"cosine_betas(T=0)"``).
        rule: the statement's rule it breaks (``"R1"``), named in the failure.

    Raises:
        AssertionError: ``call`` raised another exception (named, with its message) or
            returned (what it returned, shortened).
    """
    try:
        out = call()
    except ValueError:
        return
    except Exception as exc:  # noqa: BLE001 - reported to the candidate
        raise AssertionError(
            f"{what} raised {type(exc).__name__}: {exc}; {rule}: ValueError"
        ) from None
    shown = describe(out)
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    raise AssertionError(f"{what} returned {shown} instead of raising ValueError; {rule}")
