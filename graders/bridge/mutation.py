"""Arguments changed in place by the callee, copied back to the caller.

Values cross the channel by value, so a function that modifies its argument in place (a tensor
it was passed, a list, a model's weights or train/eval mode, a random generator's state) changes
only its own copy. To keep the semantics of an in-process call, the serving side fingerprints
each mutable argument before the call and again after it, and sends back the ones that changed;
the caller writes them into its own objects (:func:`apply`). A test that checks "the input was
not modified" therefore sees a modification, and one that checks "the generator advanced" sees
it advance.

Also here: :func:`digest`, the cheap commitment of a timed reply (a sum of 64-bit words), which
the judge recomputes over what it received.
"""

from __future__ import annotations

import hashlib
import sys
import zlib
from typing import Any


def digest(data: bytes | bytearray, buffers: list) -> list:
    """A fingerprint of a frame's value: ``["s64", h, sum]`` (numpy) or ``["a32", h, crc]``.

    ``h`` hashes the (small) msgpack part; the raw buffers are folded with a wrap-around sum
    of 64-bit words (numpy) or Adler-32 (no numpy). It proves that the value existed when its
    reply's header was sent, not that it is right.
    """
    head = hashlib.blake2b(bytes(data), digest_size=8).hexdigest()
    fold = _word_sum()
    if fold is not None:
        total = 0
        for buf in buffers:
            view = memoryview(buf).cast("B")
            n = len(view) // 8 * 8
            if n:
                total += fold(view[:n])
            if len(view) > n:
                total += int.from_bytes(bytes(view[n:]), "little")
            total = (total + len(view)) % 2**64
        return ["s64", head, total]
    total = 1
    for buf in buffers:
        total = zlib.adler32(memoryview(buf).cast("B"), total)
    return ["a32", head, total]


def _word_sum():
    """A function summing a buffer's 64-bit words modulo 2**64, with numpy or torch (whichever
    is loaded here); ``None`` when neither is."""
    np = sys.modules.get("numpy")
    if np is not None:
        return lambda view: int(
            np.add.reduce(np.frombuffer(view, dtype=np.uint64), dtype=np.uint64)
        )
    torch = sys.modules.get("torch")
    if torch is not None:
        return lambda view: int(torch.frombuffer(view, dtype=torch.int64).sum()) % 2**64
    return None


def fingerprint(data: bytes | bytearray, buffers: list) -> tuple:
    """A position-sensitive fingerprint of an encoded value (CRC-32 of every part): what the
    write-back of arguments compares before and after a call, so a permutation in place (a
    sort) counts as a change."""
    parts = [zlib.crc32(bytes(data)), len(data)]
    for buf in buffers:
        view = memoryview(buf).cast("B")
        parts += [zlib.crc32(view), len(view)]
    return tuple(parts)


def check_digest(claimed: Any, data: bytes | bytearray, buffers: list) -> bool:
    """Whether ``claimed`` (from the peer) is the digest of what arrived."""
    if not isinstance(claimed, list) or len(claimed) != 3:
        return False
    if claimed[0] == "s64":
        return digest(data, buffers) == claimed if _word_sum() is not None else False
    if claimed[0] == "a32":
        head = hashlib.blake2b(bytes(data), digest_size=8).hexdigest()
        total = 1
        for buf in buffers:
            total = zlib.adler32(memoryview(buf).cast("B"), total)
        return claimed == ["a32", head, total]
    return False


def _lib(name: str) -> Any:
    return sys.modules.get(name)


def tracked(value: Any) -> bool:
    """Whether ``value`` is a by-value argument whose in-place changes are copied back."""
    if isinstance(value, (list, dict, set)):
        return True
    np = _lib("numpy")
    if np is not None and isinstance(value, (np.ndarray, np.random.Generator)):
        return True
    torch = _lib("torch")
    if torch is not None and isinstance(value, (torch.Tensor, torch.Generator, torch.nn.Module)):
        return True
    pd = _lib("pandas")
    return pd is not None and isinstance(value, (pd.DataFrame, pd.Series))


def state(value: Any) -> Any:
    """What is compared and sent back for ``value``: the value itself, or for a torch module
    its parameters (with ``.grad`` and ``requires_grad``), buffers and train/eval flags."""
    torch = _lib("torch")
    if torch is not None and isinstance(value, torch.nn.Module):
        params = {
            name: [p.detach(), None if p.grad is None else p.grad.detach(), p.requires_grad]
            for name, p in value.named_parameters()
        }
        return {
            "kind": "module",
            "params": params,
            "buffers": {name: b.detach() for name, b in value.named_buffers()},
            "training": {name: m.training for name, m in value.named_modules()},
        }
    return value


def apply(original: Any, new: Any) -> None:
    """Write ``new`` (the callee's state of an argument, see :func:`state`) into ``original``,
    the caller's object, in place. A change that cannot be made in place (an array whose shape
    changed) is left out."""
    torch = _lib("torch")
    if isinstance(original, list):
        original[:] = new
    elif isinstance(original, dict):
        original.clear()
        original.update(new)
    elif isinstance(original, set):
        original.clear()
        original.update(new)
    elif torch is not None and isinstance(original, torch.nn.Module):
        _apply_module(torch, original, new)
    elif torch is not None and isinstance(original, torch.Tensor):
        with torch.no_grad():
            if original.shape == new.shape and original.dtype == new.dtype:
                original.copy_(new.to(original.device))
            else:
                original.data = new.to(original.device)
    elif torch is not None and isinstance(original, torch.Generator):
        original.set_state(new.get_state())
    else:
        _apply_other(original, new)


def _apply_other(original: Any, new: Any) -> None:
    np = _lib("numpy")
    pd = _lib("pandas")
    if np is not None and isinstance(original, np.ndarray):
        if original.shape == new.shape and original.dtype == new.dtype and original.flags.writeable:
            original[...] = new
    elif np is not None and isinstance(original, np.random.Generator):
        original.bit_generator.state = new.bit_generator.state
    elif pd is not None and isinstance(original, (pd.DataFrame, pd.Series)):
        original._update_inplace(new)  # noqa: SLF001 - pandas' own in-place replacement


def _apply_module(torch: Any, module: Any, new: dict) -> None:
    with torch.no_grad():
        for name, (value, grad, requires_grad) in new["params"].items():
            try:
                p = module.get_parameter(name)
            except AttributeError:
                continue
            if p.shape == value.shape and p.dtype == value.dtype:
                p.copy_(value.to(p.device))
            else:
                p.data = value.to(p.device)
            p.requires_grad_(bool(requires_grad))
            p.grad = None if grad is None else grad.to(p.device)
        for name, value in new["buffers"].items():
            try:
                b = module.get_buffer(name)
            except AttributeError:
                continue
            if b.shape == value.shape and b.dtype == value.dtype:
                b.copy_(value.to(b.device))
    for name, sub in module.named_modules():
        if name in new["training"]:
            sub.training = bool(new["training"][name])
