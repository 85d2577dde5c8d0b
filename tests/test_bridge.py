"""The channel between the judge and the contestant (graders.bridge): values by value, handles,
callbacks, exceptions, in-place changes, threads, timed calls, and what a hostile peer can and
cannot make the judge do. Both ends run in this process over a socket pair."""

from __future__ import annotations

import collections
import datetime as dt
import decimal
import fractions
import socket
import sys
import threading
import uuid
import zoneinfo

import msgpack
import numpy as np
import pandas as pd
import pytest
import torch

from graders.bridge import codec as C
from graders.bridge.endpoint import REQ, Endpoint, ProtocolViolation, timing
from graders.bridge.frames import FrameError, FrameSocket, PeerClosed
from graders.bridge.proxy import RemoteError, RemoteObject
from graders.bridge.serve import Root

CANDIDATE = """
import threading

def echo(x):
    return x

def add(a, b):
    return a + b

class Liar:
    def __eq__(self, other):
        return True
    def __hash__(self):
        return 0

class LyingList(list):
    def __eq__(self, other):
        return True

def liar():
    return Liar()

def lying_list():
    return LyingList([1, 2])

class BadInput(ValueError):
    pass

def raise_bad():
    raise BadInput("no good", 7)

def raise_exit():
    raise SystemExit(3)

def catch(fn):
    try:
        fn()
    except Exception as exc:
        return exc

def sort_in_place(a):
    a.sort()
    return 0

def mutate(xs, arr, t, d):
    xs.append(99)
    arr[0] = -1
    t.add_(1)
    d["new"] = 1

def train(model, gen):
    model.train()
    out = model(torch.ones(1, 2)).sum()
    out.backward()
    torch.rand(3, generator=gen)

def in_threads(cb, n):
    out = []
    lock = threading.Lock()
    def run(i):
        v = cb(i)
        with lock:
            out.append(v)
    ts = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return sorted(out)

def reach(obj, name):
    return getattr(obj, name)

def poke(obj):
    obj.value = 5

def raw(obj, op, payload):
    # past the proxy: straight to the channel, as hostile code would
    ep = object.__getattribute__(obj, "_kata_ep")
    return ep.request(object.__getattribute__(obj, "_kata_ref"), op, payload)

def call_method(obj, name):
    return getattr(obj, name)()

def gen(n):
    yield from range(n)

class Counter:
    def __init__(self, start):
        self.n = start
    def bump(self, by=1):
        self.n += by
        return self.n
    @property
    def doubled(self):
        return 2 * self.n

import torch
import enum
from typing import NamedTuple

class Box(NamedTuple):
    lo: float
    hi: float

    @property
    def width(self):
        return self.hi - self.lo

def make_box(lo):
    return Box(lo, lo + 1.0)

def box_width(box):
    return box.width

class Status(enum.Enum):
    OK = 1
    BAD = 2

def status_of(v):
    return Status(v)

def is_ok(s):
    return s is Status.OK
"""


@pytest.fixture
def pair(tmp_path, monkeypatch):
    """(judge endpoint, contestant endpoint, sol): the candidate module above served in this
    process."""
    (tmp_path / "cand.py").write_text(CANDIDATE)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("cand", None)
    a, b = socket.socketpair()
    contestant = Endpoint(b, role="contestant", root=Root(["cand"]), name="judge")
    judge = Endpoint(a, role="judge", name="contestant")
    yield judge, contestant, judge.root("cand")
    judge.close()
    contestant.close()
    sys.modules.pop("cand", None)


VALUES = [
    None, True, 0, -(2**63), 2**64 - 1, 2**200, -(3**150), 1.5, float("inf"), "text", b"\x00\xff",
    [1, [2, (3,)]], (1, "a", None), {"a": 1, (1, 2): [3], 4: {5}}, {1, 2},
    frozenset({"x"}), collections.deque([1, 2], maxlen=5), range(2, 9, 3), slice(1, None, 2),
    Ellipsis, fractions.Fraction(22, 7), decimal.Decimal("1.10"), uuid.UUID(int=7), 3 + 4j,
    dt.datetime(2021, 3, 4, 5, 6, 7, 8, tzinfo=zoneinfo.ZoneInfo("Europe/Paris")),
    dt.datetime(2021, 3, 4, tzinfo=dt.timezone(dt.timedelta(hours=-3))), dt.date(2020, 2, 29),
    dt.timedelta(days=-1, seconds=5, microseconds=7), dt.time(1, 2, 3),
]  # fmt: skip


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_plain_values_round_trip_exactly(pair, value):
    """Every plain value comes back equal and of the same type."""
    _, _, sol = pair
    got = sol.echo(value)
    assert type(got) is type(value) and got == value
    if isinstance(value, collections.deque):
        assert got.maxlen == value.maxlen


def test_nan_and_named_tuples(pair):
    """NaN stays NaN; a named tuple keeps its field names."""
    _, _, sol = pair
    assert np.isnan(sol.echo(float("nan")))
    point = collections.namedtuple("Point", "x y")(1, 2)
    got = sol.echo(point)
    assert got == (1, 2) and got.x == 1 and type(got).__name__ == "Point"


@pytest.mark.parametrize(
    "arr",
    [
        np.arange(12, dtype=np.float32).reshape(3, 4)[:, ::2],  # not contiguous
        np.array([1, 2], dtype=">i4"),
        np.array(["2020-01-01", "NaT"], dtype="M8[ns]"),
        np.zeros((0, 3), dtype=np.int16),
        np.array([(1, 2.5)], dtype=[("a", "<i4"), ("b", "<f8")]),
        np.array([1, "x", None], dtype=object),
        np.array(3.5),
    ],
    ids=["strided", "bigendian", "datetime", "empty", "structured", "object", "0d"],
)
def test_numpy_arrays_round_trip(pair, arr):
    """Arrays keep shape, dtype and values (NaT included); they arrive writable."""
    _, _, sol = pair
    got = sol.echo(arr)
    assert got.shape == arr.shape and got.dtype == arr.dtype
    assert np.array_equal(got, arr, equal_nan=arr.dtype.kind in "fc") or (
        arr.dtype.kind == "M" and np.array_equal(np.isnat(got), np.isnat(arr))
    )
    assert got.flags.writeable


def test_numpy_scalars_and_generators(pair):
    """numpy scalars keep their type; a Generator keeps its state."""
    _, _, sol = pair
    for scalar in (np.float32(1.5), np.int8(-3), np.bool_(True), np.datetime64("2020-01-01")):
        got = sol.echo(scalar)
        assert type(got) is type(scalar) and got == scalar
    g = np.random.default_rng(5)
    got = sol.echo(g)
    assert got.random() == np.random.default_rng(5).random()


def test_torch_values_round_trip(pair):
    """Tensors keep dtype (bfloat16 too), shape, values and requires_grad; Parameters, dtypes,
    devices, sizes and generators cross too."""
    _, _, sol = pair
    for t in (torch.randn(3, 4, dtype=torch.bfloat16), torch.arange(6).reshape(2, 3).T,
              torch.zeros(0, 2), torch.tensor(True)):  # fmt: skip
        got = sol.echo(t)
        assert got.dtype == t.dtype and got.shape == t.shape and torch.equal(got, t)
    leaf = torch.ones(2, requires_grad=True)
    assert sol.echo(leaf).requires_grad
    param = torch.nn.Parameter(torch.ones(2))
    assert isinstance(sol.echo(param), torch.nn.Parameter)
    assert sol.echo(torch.float64) is torch.float64
    assert sol.echo(torch.device("cpu")) == torch.device("cpu")
    assert sol.echo(torch.Size([2, 3])) == torch.Size([2, 3])
    g = torch.Generator().manual_seed(3)
    assert torch.equal(torch.rand(2, generator=sol.echo(g)), torch.rand(2, generator=g))


def test_pandas_values_round_trip(pair):
    """DataFrames (numeric, string, nullable, categorical, tz-aware, object columns, any
    index), Series, Timestamps, NaT and NA come back equal, dtypes included."""
    _, _, sol = pair
    df = pd.DataFrame(
        {
            "i": [1, 2, 3],
            "s": ["x", None, "z"],
            "n": pd.array([1, None, 3], dtype="Int64"),
            "c": pd.Categorical(["u", "v", "u"]),
            "t": pd.to_datetime(["2020-01-01", "2020-01-02", None]).tz_localize("America/New_York"),
            "o": [1, "a", None],
            "b": pd.array([True, None, False], dtype="boolean"),
        },
        index=pd.Index([10, 20, 30], name="row"),
    )
    pd.testing.assert_frame_equal(sol.echo(df), df)
    multi = df.set_index(["i", "s"])
    pd.testing.assert_frame_equal(sol.echo(multi), multi)
    pd.testing.assert_series_equal(sol.echo(df["t"]), df["t"])
    ts = pd.Timestamp("2021-03-04 05:06:07.123456789", tz="Asia/Tokyo")
    assert sol.echo(ts) == ts and str(sol.echo(ts).tz) == "Asia/Tokyo"
    assert sol.echo(pd.NaT) is pd.NaT and sol.echo(pd.NA) is pd.NA
    assert sol.echo(pd.Timedelta("1.5s")) == pd.Timedelta("1.5s")


def test_lying_equality_cannot_cross(pair):
    """An object whose __eq__ is always true arrives as a handle compared by identity; a list
    subclass with a lying __eq__ arrives as a plain list."""
    _, _, sol = pair
    liar = sol.liar()
    assert isinstance(liar, RemoteObject)
    assert liar != 5 and not (liar == [1])  # noqa: SIM201
    got = sol.lying_list()
    assert type(got) is list and got != [3]


def test_objects_methods_and_properties(pair):
    """A remote instance: methods in one round trip, properties and attributes by value,
    isinstance against its remote class, generators iterated."""
    _, _, sol = pair
    c = sol.Counter(5)
    assert c.bump() == 6 and c.bump(by=4) == 10 and c.n == 10 and c.doubled == 20
    assert isinstance(c, sol.Counter) and not isinstance(5, sol.Counter)
    c.n = 1
    assert c.bump() == 2
    assert list(sol.gen(200)) == list(range(200))


def test_exceptions_are_mirrored(pair):
    """A candidate exception class becomes a local subclass of its builtin base, matched by
    pytest.raises on either; its args and message come across; SystemExit does not."""
    _, _, sol = pair
    with pytest.raises(ValueError) as info:
        sol.raise_bad()
    assert isinstance(info.value, sol.BadInput) and info.value.args == ("no good", 7)
    assert "raise_bad" in "".join(getattr(info.value, "__notes__", []))
    with pytest.raises(RemoteError):
        sol.raise_exit()
    with pytest.raises(TypeError):
        sol.add([1], (2,))


def test_exception_identity_survives_a_round_trip(pair):
    """An exception raised by a judge callback and handed back by the candidate is the very
    same object."""
    _, _, sol = pair

    class ModelError(Exception):
        pass

    err = ModelError("boom")

    def fail():
        raise err

    assert sol.catch(fail) is err


def test_in_place_changes_are_copied_back(pair):
    """Lists, arrays, tensors, dicts, a model's mode and gradients and a generator's state
    changed in place by the candidate change the judge's objects too."""
    _, _, sol = pair
    xs, arr, t, d = [1], np.zeros(3), torch.zeros(2), {}
    sol.mutate(xs, arr, t, d)
    assert xs == [1, 99] and arr[0] == -1 and torch.equal(t, torch.ones(2)) and d == {"new": 1}
    a = np.array([3, 1, 2])
    sol.sort_in_place(a)  # a permutation changes no sum, but it is a change
    assert a.tolist() == [1, 2, 3]
    model = torch.nn.Linear(2, 1).eval()
    gen = torch.Generator().manual_seed(1)
    sol.train(model, gen)
    assert model.training and model.weight.grad is not None
    assert torch.equal(
        torch.rand(1, generator=gen), torch.rand(4, generator=torch.Generator().manual_seed(1))[3:]
    )


def test_callbacks_from_candidate_threads(pair):
    """Candidate threads call a judge callback concurrently; every call is served."""
    _, _, sol = pair
    seen = []
    lock = threading.Lock()

    def square(i):
        with lock:
            seen.append(threading.current_thread().name)
        return i * i

    assert sol.in_threads(square, 8) == [i * i for i in range(8)]
    assert len(seen) == 8


def test_concurrent_judge_threads(pair):
    """Judge threads calling at once each get their own answer."""
    _, _, sol = pair
    out = {}

    def work(i):
        out[i] = [sol.add(i, k) for k in range(50)]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out == {i: [i + k for k in range(50)] for i in range(6)}


class JudgeThing:
    """A judge object passed to candidate code."""

    secret = "hidden"

    def __init__(self):
        self.value = 3
        self.lib = np

    def method(self):
        return "ok"


def test_the_sandbox_reaches_only_data_and_methods_of_judge_objects(pair):
    """Through a judge object the candidate may call its methods and read its data; not its
    private names, not a module it holds, not the globals of a function."""
    _, _, sol = pair
    thing = JudgeThing()
    assert sol.reach(thing, "value") == 3 and sol.call_method(thing, "method") == "ok"
    for name in ("_private", "_JudgeThing__x", "__globals__", "__code__"):
        with pytest.raises((PermissionError, AttributeError)):
            sol.reach(thing, name)
    with pytest.raises(PermissionError):
        sol.poke(thing)  # no setattr on the judge's objects
    assert thing.value == 3
    with pytest.raises(C.CodecError):
        sol.reach(thing, "lib")  # a module: never handed out
    with pytest.raises((PermissionError, AttributeError)):
        sol.reach(lambda: None, "__globals__")
    for op, payload in (("getattr", ("__globals__",)), ("setattr", ("value", 9)),
                        ("callm", ("__reduce__", (), {})), ("delattr", ("value",)),
                        ("isinstance", (1,)), ("import_module", ("os",))):  # fmt: skip
        with pytest.raises(PermissionError):
            sol.raw(thing, op, payload)
    assert thing.value == 3
    with pytest.raises(C.CodecError):
        sol.echo(np)  # the judge never sends a module
    with pytest.raises(C.CodecError):
        sol.echo(JudgeThing)  # nor a class


def test_judge_never_unpickles(pair):
    """A pickled object from the contestant is refused: the judge's codec has no unpickling."""
    judge, _, _ = pair
    bad = msgpack.ExtType(C.TMODULE, msgpack.packb(b"cos\nsystem\n(S'true'\ntR."))
    with pytest.raises(C.CodecError, match="pickled"):
        judge.codec.decode(msgpack.packb(bad), [])


def test_raw_buffers_never_decode_as_objects(pair):
    """An array announced with an object dtype, or a shape that does not fit its buffer, is
    refused."""
    judge, _, _ = pair
    for descr, shape, buf in (("|O", [2], bytearray(16)), ("<f8", [3], bytearray(16))):
        ext = msgpack.ExtType(C.NDARRAY, msgpack.packb([descr, shape, 0]))
        with pytest.raises(C.CodecError):
            judge.codec.decode(msgpack.packb(ext), [buf])


def test_timed_call_measures_and_checks_the_digest(pair, monkeypatch):
    """A timed call is measured by the judge; a reply whose digest does not match its value
    (a result announced before it existed) ends the sandbox with a protocol violation."""
    judge, contestant, sol = pair
    x = torch.randn(256, 256)
    with timing() as scope:
        sol.add(x, x)
    assert scope.calls == 1 and scope.elapsed > 0 and scope.endpoints == {judge}
    from graders.bridge import mutation

    real = mutation.digest
    monkeypatch.setattr(mutation, "digest", lambda data, buffers: ["s64", "0", 0])
    monkeypatch.setattr(mutation, "check_digest", lambda claimed, d, b: real(d, b) == claimed)
    with pytest.raises(ProtocolViolation), timing():
        sol.add(x, x)
    assert judge.closed


def test_garbage_from_the_peer_closes_the_channel():
    """A peer that sends garbage, or a frame over the limit, is cut off with the reason; calls
    then fail instead of hanging."""
    for payload in (b"\x00" * 40, FrameSocket.__name__.encode() * 10):
        a, b = socket.socketpair()
        judge = Endpoint(a, role="judge", name="contestant")
        b.sendall(payload)
        judge._reader.join(5)
        assert judge.closed and "protocol" in judge.close_reason
        with pytest.raises(PeerClosed):
            judge.request(1, "call", ((), {}))
        b.close()
    a, b = socket.socketpair()
    judge = Endpoint(a, role="judge", name="contestant", max_bytes=1000)
    FrameSocket(b).send(msgpack.packb([REQ, 1, "C1", "call", 0, b"", 0]), [b"x" * 5000])
    judge._reader.join(5)
    assert judge.closed
    b.close()


def test_frames_refuse_bad_magic():
    """The frame reader checks its magic number."""
    a, b = socket.socketpair()
    b.sendall(b"\x00" * 12)
    with pytest.raises(FrameError):
        FrameSocket(a).recv_header()


def test_candidate_named_tuples_and_enums_keep_their_class(pair, tmp_path):
    """A named tuple or enum member of the candidate's own class, received by value and sent
    back, is an instance of that class again (its methods and properties work there)."""
    _, _, sol = pair
    box = sol.make_box(2.0)
    assert box == (2.0, 3.0) and box.lo == 2.0
    assert sol.box_width(box) == 1.0  # a property of the candidate's class, used in the sandbox
    assert sol.box_width(box._replace(hi=5.0)) == 3.0
    status = sol.status_of(1)
    assert status.name == "OK" and sol.is_ok(status) is True
