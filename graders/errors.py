"""Errors the engine raises, each meant to be shown to a person as one line."""


class KataError(Exception):
    """Base class: a problem the user can fix; ``str(err)`` is the one-line message."""


class UnknownKata(KataError):
    """The requested kata id is not in the catalog."""


class MetadataError(KataError):
    """A ``kata.toml`` is malformed (bad type, unknown key, missing field)."""


class SubmissionError(KataError):
    """A submission cannot be graded as given (missing file, symlink, too large, bad syntax)."""


class UsageError(KataError):
    """The command line asks for something impossible (missing folder, bad option value)."""


class GradingInterrupted(KataError):
    """The grading run was interrupted (Ctrl-C of a cohort): no result is made of it."""
