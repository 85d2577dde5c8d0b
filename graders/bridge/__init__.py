"""The narrow channel between the judge and the contestant (KATA_SPEC section 4).

The judge process (pytest, the hidden tests, the oracles, the clock) never imports candidate
code; the contestant process (inside the sandbox) runs only the candidate's files. They talk
over a socket pair through this package:

- :mod:`.frames`: length-prefixed frames, a msgpack header and out-of-band raw buffers;
- :mod:`.codec`: values by value (numbers, strings, containers, numpy, torch, pandas, dates),
  everything else as a remote handle; nothing the peer sends is ever unpickled by the judge;
- :mod:`.endpoint`: calls in both directions, callbacks, one mirrored thread per caller thread,
  timed calls for performance gates;
- :mod:`.proxy`: the judge-side stand-ins for remote modules, classes, objects and exceptions;
- :mod:`.serve`: the contestant's entry point inside the sandbox.

This package imports nothing of the rest of the kit: it is copied into every sandbox on its own.
msgpack is its only dependency; numpy, torch and pandas are used only when already imported.
"""
