"""Calls in both directions over one socket: requests, replies, callbacks, handles.

One :class:`Endpoint` sits at each end of a socket pair: the judge's (``role="judge"``) and the
contestant's (``role="contestant"``). Either side may call the other.

**Threads.** Every thread that makes a call has a *chain key*. The other side runs the call on a
thread dedicated to that chain (created on first use, a "mirror"), and a callback made while
serving it comes back tagged with the same key, to the very thread that is waiting for the
reply, which runs it and goes on waiting. So a chain of calls and callbacks behaves like one
thread of control across the two processes, and concurrent callers (test threads, the
candidate's worker threads) map to concurrent threads on the other side.

**Handles.** Objects that are not data travel as handles (see :mod:`.codec`): the owner keeps
them in a table until the peer's proxies are gone (each release carries how many times the
proxy was received, so a handle sent again while a release is in flight survives).

**What the sandbox may do with the judge's objects.** The judge only ever sends callables and
plain instances that a test passed on purpose (never modules or classes), and serves only:
calling them, calling their public methods, reading their public attributes *as data* (a read
that would hand out a new handle is refused), ``len``, ``iter``/``next``, ``[]``, ``in``,
``bool``, ``repr`` and ``str``. Nothing the contestant sends is unpickled.

**Timed calls.** Inside :func:`timing`, a call first ships its arguments and waits until the
other side has decoded them (``READY``); the clock starts when the judge sends ``GO`` and stops
when the reply's header arrives. The header carries a digest of the reply's value
(:func:`.mutation.digest`), which the judge checks against what follows: a reply cannot be
announced before its value exists. Arguments changed in place are not copied back from a timed
call.
"""

from __future__ import annotations

import collections
import contextlib
import enum
import gc
import itertools
import queue
import sys
import threading
import time
import traceback
import types
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgpack

from . import mutation
from .codec import HANDLE_OF_RECEIVER, Codec, CodecError, RemoteEnumValue, _text
from .frames import FrameError, FrameSocket, PeerClosed
from .proxy import (
    RemoteClass,
    RemoteError,
    RemoteMethod,
    RemoteModule,
    RemoteObject,
    StaleHandle,
    _Base,
    builtin_exception,
    mirror_exception_class,
)

REQ, REP, READY, GO, REL, END = 1, 2, 3, 4, 5, 6
F_HOLD, F_NOWB = 1, 2
_CLOSED = object()
_BRIDGE_DIR = str(Path(__file__).resolve().parent)
_JUDGE_OPS = frozenset(
    {"call", "callm", "getattr", "len", "iter", "next", "nextn", "getitem", "contains", "bool",
     "repr", "str", "float", "int", "index"}
)  # fmt: skip


class ProtocolViolation(ConnectionError):
    """The other side broke the protocol (a malformed frame, a reply announced before its value
    existed): the sandbox is ended and the call fails."""


# -- timing ----------------------------------------------------------------------------------


class Timing:
    """What :func:`timing` measured: seconds spent in the other side's timed calls."""

    def __init__(self) -> None:
        self.elapsed = 0.0
        self.calls = 0
        self.endpoints: set[Endpoint] = set()


_TIMING = threading.local()


@contextlib.contextmanager
def timing() -> Iterator[Timing]:
    """Time the remote calls this thread makes inside the block (see the module docstring)."""
    scope = Timing()
    previous = getattr(_TIMING, "scope", None)
    _TIMING.scope = scope
    try:
        yield scope
    finally:
        _TIMING.scope = previous


# -- messages --------------------------------------------------------------------------------


class _Item:
    __slots__ = ("kind", "rid", "chain", "op", "target", "data", "buffers", "flags", "ok",
                 "digest", "t_header")  # fmt: skip

    def __init__(self, kind: int, rid: int, chain: str) -> None:
        self.kind, self.rid, self.chain = kind, rid, chain
        self.op = self.target = self.data = self.digest = None
        self.buffers: list = []
        self.flags = 0
        self.ok = True
        self.t_header = 0.0


def _methods_of(cls: type) -> list[str]:
    """Public names whose class attribute is a function or method descriptor."""
    names = []
    for name in dir(cls):
        if name.startswith("_"):
            continue
        for klass in cls.__mro__:
            if name in klass.__dict__:
                attr = klass.__dict__[name]
                if isinstance(attr, (types.FunctionType, staticmethod, classmethod,
                                     types.BuiltinFunctionType, types.MethodDescriptorType,
                                     types.WrapperDescriptorType)):  # fmt: skip
                    names.append(name)
                break
    return names


def _exc_chain(cls: type) -> list:
    chain = []
    for klass in cls.__mro__:
        if klass.__module__ == "builtins":
            chain.append([None, "builtins", klass.__name__])
            break
        chain.append([str(id(klass)), klass.__module__, klass.__qualname__])
    return chain


def _plain(value: Any, depth: int = 0) -> bool:
    if depth > 20:
        return False
    if value is None or type(value) in (bool, int, float, str, bytes):
        return True
    if type(value) in (list, tuple):
        return all(_plain(v, depth + 1) for v in value)
    if type(value) is dict:
        return all(_plain(k, depth + 1) and _plain(v, depth + 1) for k, v in value.items())
    return False


def _format_tb(exc: BaseException) -> str:
    frames = [
        f for f in traceback.extract_tb(exc.__traceback__)
        if not f.filename.startswith(_BRIDGE_DIR) and "/kata_bridge/" not in f.filename
    ]  # fmt: skip
    if not frames:
        return ""
    lines = traceback.format_list(frames[-12:])
    return _text("Traceback in the sandbox (most recent call last):\n" + "".join(lines))


class Endpoint:
    """One end of the channel.

    Args:
        sock: a connected stream socket.
        role: ``"judge"`` or ``"contestant"``.
        root: the object served at handle 0 (the contestant's :class:`.serve.Root`).
        name: for thread names and messages.
        max_bytes: the largest frame accepted from the peer.
        max_mirrors: the most threads this side starts for the peer's callers.
        service_encoder / service_decoder: see :class:`.codec.Codec`.
    """

    def __init__(
        self,
        sock: Any,
        *,
        role: str,
        root: Any = None,
        name: str = "peer",
        max_bytes: int = 2**31,
        max_mirrors: int = 512,
        service_encoder: Callable[[Any], list | None] | None = None,
        service_decoder: Callable[[list], Any] | None = None,
    ) -> None:
        if role not in ("judge", "contestant"):
            raise ValueError(f"role must be judge or contestant, not {role!r}")
        self.role = role
        self.name = name
        self._fs = FrameSocket(sock, max_bytes)
        self._root = root
        self._prefix = "J" if role == "judge" else "C"
        self._keys = itertools.count(1)
        self._ids = itertools.count(1)
        self._hids = itertools.count(1)
        self._tls = threading.local()
        self._lock = threading.Lock()
        self._inboxes: dict[str, queue.SimpleQueue] = {}
        self._mirrors = 0
        self._max_mirrors = max_mirrors
        self._exports: dict[int, list] = {}
        self._export_ids: dict[int, int] = {}
        self._proxies: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
        self._received: dict[int, list] = {}
        self._sent_types: set[int] = set()
        self._type_methods: dict[str, list] = {}
        self._releases: collections.deque = collections.deque()
        self._ended: collections.deque = collections.deque()
        self.closed = False
        self.close_reason = ""
        self.broken = ""
        #: Called before each request; may return a callable to run after its reply (the
        #: judge's sandbox thaws a frozen contestant for the call, then freezes it again).
        self.before_request: Callable[[], Callable[[], None] | None] | None = None
        judge = role == "judge"
        self.codec = Codec(
            exporter=self._export, resolver=self._resolve, proxy_check=self._peer_ref,
            exc_encoder=self._exc_encode, exc_decoder=self._exc_decode,
            trusted_peer=not judge, modules_by_value=judge,
            service_encoder=service_encoder, service_decoder=service_decoder,
            type_ref=self._type_ref, type_class=self._type_class,
        )  # fmt: skip
        self._mirror_types: dict[int, type] = {}
        self._fp_codec = Codec(
            exporter=lambda obj: [id(obj)], resolver=self._resolve, proxy_check=self._peer_ref,
            exc_encoder=lambda exc: [type(exc).__name__, repr(exc.args)],
            exc_decoder=self._exc_decode, trusted_peer=not judge,
        )  # fmt: skip
        self._reader = threading.Thread(target=self._read_loop, name=f"bridge-{name}", daemon=True)
        self._reader.start()

    # -- public --------------------------------------------------------------------------

    def root(self, name: str) -> RemoteModule:
        """``import name`` on the other side: a :class:`.proxy.RemoteModule`."""
        return self.request(0, "callm", ("import_module", (name,), {}))

    def request(self, target: Any, op: str, payload: tuple = ()) -> Any:
        """Perform ``op`` on the other side's object ``target`` (a handle id; 0 is the root)
        and return the result (raising the other side's exception, mirrored).

        Raises:
            PeerClosed: the other side is gone.
            StaleHandle: an earlier call on this endpoint was interrupted (a test timeout):
                the sandbox must be restarted.
            ProtocolViolation: the other side broke the protocol.
        """
        if self.closed:
            raise PeerClosed(self.close_reason or f"the {self.name} process is gone")
        if self.broken:
            raise StaleHandle(self.broken)
        key, inbox = self._chain()
        depth = getattr(self._tls, "depth", 0)
        scope = getattr(_TIMING, "scope", None) if depth == 0 else None
        flags = (F_HOLD | F_NOWB) if scope is not None else 0
        rid = next(self._ids)
        data, buffers = self.codec.encode(payload)
        resume = self.before_request() if self.before_request is not None else None
        try:
            self._flush()
            self._send([REQ, rid, key, op, target, data, flags], buffers)
            item = self._await_reply(inbox, rid, scope)
        except BaseException as exc:
            if not isinstance(exc, (PeerClosed, ProtocolViolation)):
                self.broken = (
                    f"a call into the {self.name} process was interrupted "
                    f"({type(exc).__name__}); it must be restarted"
                )
            raise
        finally:
            if resume is not None:
                resume()
        value = self.codec.decode(item.data, item.buffers)
        if not item.ok:
            if isinstance(value, BaseException):
                raise value
            raise RemoteError(f"the {self.name} process failed: {value!r}")
        result, writebacks = value
        if writebacks:
            self._apply_writebacks(op, payload, writebacks)
        return result

    def close(self) -> None:
        """Close the socket; pending calls fail with :class:`PeerClosed`."""
        self._shutdown("closed by this side")
        self._fs.close()

    def wait_closed(self, timeout: float | None = None) -> bool:
        """Block until the peer closes the connection (the contestant's main loop)."""
        self._reader.join(timeout)
        return not self._reader.is_alive()

    def exported(self) -> int:
        """How many local objects the other side still holds handles to."""
        return len(self._exports)

    # -- sending -------------------------------------------------------------------------

    def _send(self, envelope: list, buffers: list) -> None:
        header = msgpack.packb(envelope, use_bin_type=True)
        try:
            self._fs.send(header, buffers)
        except OSError as exc:
            self._shutdown(f"the {self.name} process is gone ({exc})")
            raise PeerClosed(self.close_reason) from exc

    def _flush(self) -> None:
        releases = []
        while self._releases:
            hid, counter = self._releases.popleft()
            releases.append((hid, counter[0] if isinstance(counter, list) else counter))
            if isinstance(counter, list):
                with self._lock:
                    if self._received.get(hid) is counter:
                        del self._received[hid]
        ended = []
        while self._ended:
            ended.append(self._ended.popleft())
        if ended:
            with self._lock:
                for key in ended:
                    self._inboxes.pop(key, None)
        if releases:
            self._send([REL, releases], [])
        for key in ended:
            self._send([END, key], [])

    # -- chains --------------------------------------------------------------------------

    def _chain(self) -> tuple[str, queue.SimpleQueue]:
        key = getattr(self._tls, "key", None)
        if key is None:
            key = f"{self._prefix}{next(self._keys)}"
            inbox: queue.SimpleQueue = queue.SimpleQueue()
            with self._lock:
                self._inboxes[key] = inbox
            self._tls.key = key
            self._tls.inbox = inbox
            # when this thread ends, its thread-local sentinel dies: tell the peer's mirror
            sentinel = _Sentinel()
            self._tls.sentinel = sentinel
            weakref.finalize(sentinel, self._chain_ended, key)
        return key, self._tls.inbox

    def _chain_ended(self, key: str) -> None:
        self._ended.append(key)  # no lock here: this runs wherever the thread-local dies

    def _await_reply(self, inbox: queue.SimpleQueue, rid: int, scope: Timing | None) -> _Item:
        t0 = 0.0
        while True:
            item = self._next(inbox)
            if item.kind == REP and item.rid == rid:
                if scope is not None:
                    if not mutation.check_digest(item.digest, item.data, item.buffers):
                        self._shutdown("the sandbox announced a timed result before it existed")
                        raise ProtocolViolation(
                            "the sandbox's reply did not match the digest announced with it: "
                            "a timed result must exist before it is reported"
                        )
                    scope.elapsed += max(0.0, item.t_header - t0)
                    scope.calls += 1
                    scope.endpoints.add(self)
                return item
            if item.kind == READY and item.rid == rid:
                t0 = time.perf_counter()
                self._send([GO, rid, item.chain], [])
            elif item.kind == REQ:
                self._serve(item)
            # anything else is stale (a reply to an interrupted call): dropped

    def _next(self, inbox: queue.SimpleQueue) -> _Item:
        while True:
            try:
                item = inbox.get(timeout=0.5)
            except queue.Empty:
                if self.closed:
                    raise PeerClosed(self.close_reason) from None
                continue
            if item is _CLOSED:
                raise PeerClosed(self.close_reason)
            return item

    def _mirror_loop(self, key: str, inbox: queue.SimpleQueue) -> None:
        self._tls.key = key
        self._tls.inbox = inbox
        try:
            while True:
                item = inbox.get()
                if item is _CLOSED or item is None:
                    return
                if item.kind == REQ:
                    self._serve(item)
        finally:
            with self._lock:
                self._inboxes.pop(key, None)
                self._mirrors -= 1

    # -- reading -------------------------------------------------------------------------

    def _read_loop(self) -> None:
        reason = ""
        try:
            while True:
                header, lens = self._fs.recv_header()
                t_header = time.perf_counter()
                env = msgpack.unpackb(header, raw=False, use_list=True, strict_map_key=False)
                buffers = self._fs.recv_buffers(lens)
                self._route(env, buffers, t_header)
        except PeerClosed:
            reason = f"the {self.name} process closed the connection"
        except (FrameError, ValueError, TypeError, IndexError, msgpack.UnpackException) as exc:
            reason = f"the {self.name} process broke the protocol ({exc})"
        except OSError as exc:
            reason = f"the connection to the {self.name} process failed ({exc})"
        self._shutdown(reason)

    def _route(self, env: list, buffers: list, t_header: float) -> None:
        kind = int(env[0])
        if kind == REL:
            for hid, count in env[1]:
                self._release_export(int(hid), int(count))
            return
        if kind == END:
            with self._lock:
                inbox = self._inboxes.get(str(env[1]))
            if inbox is not None and not str(env[1]).startswith(self._prefix):
                inbox.put(None)
            return
        item = _Item(kind, int(env[1]), str(env[2]))
        if kind == REQ:
            item.op, item.target, item.data, item.flags = str(env[3]), env[4], env[5], int(env[6])
            item.buffers = buffers
        elif kind == REP:
            item.ok, item.data, item.digest = bool(env[3]), env[4], env[5]
            item.buffers = buffers
            item.t_header = t_header
        elif kind not in (READY, GO):
            raise ValueError(f"unknown message kind {kind}")
        with self._lock:
            inbox = self._inboxes.get(item.chain)
            if inbox is None:
                if kind != REQ:
                    return  # a reply for a thread that is gone
                if self._mirrors >= self._max_mirrors:
                    inbox = None
                else:
                    inbox = queue.SimpleQueue()
                    self._inboxes[item.chain] = inbox
                    self._mirrors += 1
                    threading.Thread(
                        target=self._mirror_loop, args=(item.chain, inbox),
                        name=f"bridge-{self.name}-{item.chain}", daemon=True,
                    ).start()  # fmt: skip
        if inbox is None:
            self._refuse(item, RuntimeError("too many threads call the judge at once"))
            return
        inbox.put(item)

    def _refuse(self, item: _Item, exc: BaseException) -> None:
        data, buffers = self.codec.encode(exc)
        self._send([REP, item.rid, item.chain, False, data, None], buffers)

    def _shutdown(self, reason: str) -> None:
        with self._lock:
            if self.closed:
                return
            self.closed = True
            self.close_reason = reason or f"the {self.name} process is gone"
            inboxes = list(self._inboxes.values())
        for inbox in inboxes:
            inbox.put(_CLOSED)

    # -- serving -------------------------------------------------------------------------

    def _serve(self, item: _Item) -> None:
        self._tls.depth = getattr(self._tls, "depth", 0) + 1
        held = bool(item.flags & F_HOLD)
        if held:  # no garbage collection inside a timed call: it runs after the reply
            gc.disable()
        try:
            ok, value, data_only = self._run(item)
            try:
                self._tls.data_only = data_only
                try:
                    data, buffers = self.codec.encode(value)
                finally:
                    self._tls.data_only = False
            except Exception as exc:  # noqa: BLE001 - the value could not be sent: say why
                ok = False
                data, buffers = self.codec.encode(
                    CodecError(f"the result of {item.op} could not be sent back: {exc}")
                )
            dg = mutation.digest(data, buffers) if item.flags & F_HOLD else None
            self._flush()
            self._send([REP, item.rid, item.chain, ok, data, dg], buffers)
        except PeerClosed:
            pass
        finally:
            self._tls.depth -= 1
            if held:
                gc.enable()

    def _run(self, item: _Item) -> tuple[bool, Any, bool]:
        """Decode and perform one request: (ok, value, whether the value must be data only)."""
        try:
            payload = self.codec.decode(item.data, item.buffers)
            if item.flags & F_HOLD:
                self._send([READY, item.rid, item.chain], [])
                self._await_go(item.rid)
            target = self._target(item.target)
            data_only = False
            if self.role == "judge":
                self._judge_may(item.op, target, payload)
                data_only = item.op == "getattr"
            return (
                True,
                self._dispatch(item.op, target, payload, track=not item.flags & F_NOWB),
                data_only,
            )
        except PeerClosed:
            raise
        except BaseException as exc:  # noqa: BLE001 - whatever the code raised goes back
            return False, exc, False

    def _await_go(self, rid: int) -> None:
        inbox = self._tls.inbox
        while True:
            item = self._next(inbox)
            if item.kind == GO and item.rid == rid:
                return
            if item.kind == REQ:
                self._serve(item)

    def _target(self, ref: Any) -> Any:
        if ref == 0:
            if self._root is None:
                raise PermissionError("nothing is served at the root of the judge")
            return self._root
        entry = self._exports.get(int(ref))
        if entry is None:
            raise StaleHandle(f"handle {ref} is unknown here (released, or from another run)")
        return entry[0]

    def _judge_may(self, op: str, target: Any, payload: tuple) -> None:
        if op not in _JUDGE_OPS:
            raise PermissionError(f"the sandbox may not {op} the judge's objects")
        if op in ("callm", "getattr") and str(payload[0]).startswith("_"):
            raise PermissionError(
                f"the sandbox may not reach {payload[0]!r} of the judge's objects"
            )
        if op == "callm":
            method = getattr(target, payload[0])
            if getattr(method, "__self__", None) is not target:
                raise PermissionError(f"{payload[0]!r} is not a method of that object")

    def _dispatch(self, op: str, obj: Any, p: tuple, *, track: bool) -> list:  # noqa: C901
        if op == "call":
            return self._call(obj, p[0], p[1], track)
        if op == "callm":
            return self._call(getattr(obj, p[0]), p[1], p[2], track)
        if op == "getattr":
            result: Any = getattr(obj, p[0])
        elif op == "setattr":
            result = setattr(obj, p[0], p[1])
        elif op == "delattr":
            result = delattr(obj, p[0])
        elif op == "getitem":
            result = obj[p[0]]
        elif op == "setitem":
            obj[p[0]] = p[1]
            result = None
        elif op == "delitem":
            del obj[p[0]]
            result = None
        elif op == "len":
            result = len(obj)
        elif op == "contains":
            result = p[0] in obj
        elif op == "bool":
            result = bool(obj)
        elif op == "repr":
            result = _text(repr(obj))
        elif op == "str":
            result = _text(str(obj))
        elif op == "float":
            result = float(obj)
        elif op == "int":
            result = int(obj)
        elif op == "index":
            result = obj.__index__()
        elif op == "iter":
            result = iter(obj)
        elif op == "next":
            result = next(obj)
        elif op == "nextn":
            items: list = []
            done = False
            for _ in range(max(1, min(int(p[0]), 1024))):
                try:
                    items.append(next(obj))
                except StopIteration:
                    done = True
                    break
            result = [items, done]
        elif op == "enter":
            result = obj.__enter__()
        elif op == "exit":
            exc = p[0]
            result = obj.__exit__(type(exc) if exc is not None else None, exc, None)
        elif op == "isinstance":
            result = isinstance(p[0], obj)
        else:
            raise PermissionError(f"unknown operation {op!r}")
        return [result, None]

    def _call(self, fn: Any, args: list | tuple, kwargs: dict, track: bool) -> list:
        if not track:
            return [fn(*args, **kwargs), None]
        watched = [(i, a) for i, a in enumerate(args) if mutation.tracked(a)]
        watched += [(k, v) for k, v in kwargs.items() if mutation.tracked(v)]
        before = {key: self._fingerprint(mutation.state(v)) for key, v in watched}
        result = fn(*args, **kwargs)
        changed = {}
        for key, v in watched:
            now = mutation.state(v)
            if self._fingerprint(now) != before[key]:
                changed[key] = now
        return [result, changed or None]

    def _fingerprint(self, value: Any) -> tuple:
        data, buffers = self._fp_codec.encode(value)
        return mutation.fingerprint(data, buffers)

    def _apply_writebacks(self, op: str, payload: tuple, writebacks: dict) -> None:
        if op == "call":
            args, kwargs = payload[0], payload[1]
        elif op == "callm":
            args, kwargs = payload[1], payload[2]
        else:
            return
        for key, new in writebacks.items():
            if isinstance(key, int) and 0 <= key < len(args):
                original = args[key]
            elif isinstance(key, str) and key in kwargs:
                original = kwargs[key]
            else:
                continue
            try:
                mutation.apply(original, new)
            except Exception:  # noqa: BLE001, S110 - a change that cannot be mirrored is left out
                pass

    # -- handles -------------------------------------------------------------------------

    def _export(self, obj: Any) -> list:
        if self.role == "judge":
            if getattr(self._tls, "data_only", False):
                raise CodecError(
                    f"the sandbox may read only data from the judge's objects, not a "
                    f"{type(obj).__name__}"
                )
            if isinstance(obj, (types.ModuleType, type)):
                raise CodecError(f"{obj!r} cannot be sent into the sandbox")
        hid = self._register(obj)
        kind, info = self._describe(obj)
        return [hid, kind, info]

    def _register(self, obj: Any) -> int:
        with self._lock:
            hid = self._export_ids.get(id(obj))
            if hid is None or self._exports.get(hid, [None])[0] is not obj:
                hid = next(self._hids)
                self._exports[hid] = [obj, 0]
                self._export_ids[id(obj)] = hid
            self._exports[hid][1] += 1
        return hid

    def _release_export(self, hid: int, count: int) -> None:
        with self._lock:
            entry = self._exports.get(hid)
            if entry is None:
                return
            entry[1] -= count
            if entry[1] <= 0:
                del self._exports[hid]
                if self._export_ids.get(id(entry[0])) == hid:
                    del self._export_ids[id(entry[0])]

    def _describe(self, obj: Any) -> tuple[str, dict]:
        if isinstance(obj, types.ModuleType):
            names = {}
            for name, value in vars(obj).items():
                if name.startswith("_"):
                    continue
                if isinstance(value, type):
                    names[name] = "e" if issubclass(value, BaseException) else "c"
                elif callable(value):
                    names[name] = "f"
            return "module", {"name": obj.__name__, "names": names}
        if isinstance(obj, type):
            if issubclass(obj, BaseException):
                return "eclass", {"chain": _exc_chain(obj)}
            return "class", {"name": obj.__qualname__, "module": obj.__module__,
                             "methods": _methods_of(obj)}  # fmt: skip
        t = type(obj)
        info: dict = {"name": t.__qualname__, "type": str(id(t))}
        if id(t) not in self._sent_types:
            self._sent_types.add(id(t))
            info["methods"] = _methods_of(t) if t.__module__ != "builtins" else []
        return "object", info

    def _resolve(self, code: int, payload: list) -> Any:
        if code == HANDLE_OF_RECEIVER:
            obj = self._target(int(payload[0]))
            if len(payload) > 1:
                name = str(payload[1])
                if self.role == "judge":
                    self._judge_may("callm", obj, (name,))
                return getattr(obj, name)
            return obj
        hid, kind, info = int(payload[0]), str(payload[1]), payload[2]
        if not isinstance(info, dict):
            raise CodecError("malformed handle")
        if kind == "eclass":
            self._releases.append((hid, 1))
            return mirror_exception_class(self, info["chain"])
        with self._lock:
            proxy = self._proxies.get(hid)
            if proxy is None:
                if kind == "object":
                    type_key = str(info.get("type"))
                    if "methods" in info:
                        self._type_methods[type_key] = list(info["methods"])
                    info["methods"] = frozenset(self._type_methods.get(type_key, ()))
                    proxy = RemoteObject(self, hid, info)
                elif kind == "class":
                    info["methods"] = frozenset(info.get("methods", ()))
                    proxy = RemoteClass(self, hid, info)
                elif kind == "module":
                    proxy = RemoteModule(self, hid, info)
                else:
                    raise CodecError(f"unknown handle kind {kind!r}")
                counter = [0]
                self._received[hid] = counter
                self._proxies[hid] = proxy
                weakref.finalize(proxy, self._proxy_gone, hid, counter)
            self._received[hid][0] += 1
        return proxy

    def _proxy_gone(self, hid: int, counter: list) -> None:
        self._releases.append((hid, counter))  # no lock here: this runs at garbage collection

    def _type_ref(self, cls: Any) -> list:
        """How a value's class (a named tuple's, an enum's) is named to the peer, so a value of
        the peer's own class goes back as that class."""
        if isinstance(cls, RemoteEnumValue):  # a member of the peer's enum, received by value
            origin = cls.origin
            return ["peer", origin[1]] if origin and origin[0] is self else None
        origin = getattr(cls, "_kata_origin_type", None)
        if origin is not None and origin[0] is self:
            return ["peer", origin[1]]
        if cls.__module__ in ("builtins", "collections"):
            return None
        return ["self", self._register(cls)]

    def _type_class(self, ref: Any, kind: str, name: str, fields: tuple) -> Any:
        where, hid = ref[0], int(ref[1])
        if where == "peer":  # one of our own classes, coming back
            cls = self._target(hid)
            ok = isinstance(cls, type) and (
                issubclass(cls, tuple) and hasattr(cls, "_fields")
                if kind == "namedtuple"
                else issubclass(cls, enum.Enum)
            )
            if not ok:
                raise CodecError(f"handle {hid} is not a {kind} class here")
            return cls
        if kind != "namedtuple":
            return (self, hid)  # the peer's enum members stay RemoteEnumValue, with their origin
        cls = self._mirror_types.get(hid)
        if cls is None:
            from .codec import _namedtuple

            base = _namedtuple(name, fields)
            cls = type(name, (base,), {"__slots__": (), "_kata_origin_type": (self, hid)})
            self._mirror_types[hid] = cls
        return cls

    def _peer_ref(self, obj: Any) -> list | None:
        if isinstance(obj, _Base):
            if object.__getattribute__(obj, "_kata_ep") is self:
                return [object.__getattribute__(obj, "_kata_ref")]
            raise CodecError("an object of one sandbox cannot be passed to another process")
        if isinstance(obj, RemoteMethod):
            ep = object.__getattribute__(obj.target, "_kata_ep")
            if ep is self:
                return [object.__getattribute__(obj.target, "_kata_ref"), obj.name]
            raise CodecError("an object of one sandbox cannot be passed to another process")
        return None

    # -- exceptions ----------------------------------------------------------------------

    def _exc_encode(self, exc: BaseException) -> list:
        origin = getattr(exc, "_kata_origin", None)
        if origin is not None and origin[0] is self:
            return ["peer", origin[1]]
        hid = self._register(exc)
        args = [a if _plain(a) else _text(repr(a)) for a in exc.args]
        try:
            message = _text(str(exc))
        except Exception:  # noqa: BLE001
            message = _text(repr(exc))
        tb = _format_tb(exc) if self.role == "contestant" else ""
        return ["self", hid, _exc_chain(type(exc)), args, message, tb]

    def _exc_decode(self, v: list) -> BaseException:
        if v[0] == "peer":
            entry = self._exports.get(int(v[1]))
            if entry is None:
                return RemoteError("an exception that no longer exists here")
            return entry[0]
        _, hid, chain, args, message, tb = v
        if chain and chain[0][0] is None:
            cls = builtin_exception(chain[0][2]) if chain[0][1] == "builtins" else None
            cls = cls or RemoteError
        else:
            cls = mirror_exception_class(self, chain)
        try:
            exc = cls.__new__(cls)
            exc.args = tuple(args)
        except Exception:  # noqa: BLE001 - an odd builtin signature
            exc = RemoteError(message)
        if cls is RemoteError or hasattr(cls, "_kata_remote_key"):
            exc._kata_message = str(message)
        exc._kata_origin = (self, int(hid))
        if tb:
            exc.add_note(str(tb))
        token = _Sentinel()  # exceptions take no weak references: a token in its __dict__ does
        weakref.finalize(token, self._releases.append, (int(hid), 1))
        exc._kata_token = token
        return exc


def _synchronize_device() -> None:
    """Wait for queued CUDA work (a timed call on the GPU must not return before it ends)."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.synchronize()


class _Sentinel:
    """An object whose death triggers a finalizer: the end of a thread's chain, the end of a
    received exception."""
