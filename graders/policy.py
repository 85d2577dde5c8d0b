"""Static policy check of submitted files (KATA_SPEC section 4, step 2).

Walks each file's AST and reports, per file and line, anything that could reach outside the
exercise: imports outside the kata's allowlist, dynamic code (``eval``, ``exec``, ``compile``,
``__import__``), introspection that reaches the test harness (``sys.modules``, ``gc``,
``inspect``, frames, ``__globals__``, ``__subclasses__`` ...), monkeypatching of library modules
(``torch.allclose = ...``), process exits, file, network and process access.

This is a static check: it raises the cost of tampering and flags it for review; it is not a
sandbox (see the README's "Security model"). A finding marks the submission for review, or fails
it under ``--policy fail``.
"""

from __future__ import annotations

import ast
import fnmatch
import re
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from .errors import SubmissionError

_PARSE_LOCK = threading.Lock()

#: Modules always importable: pure, harmless standard-library helpers.
BASELINE_MODULES = frozenset(
    {
        "__future__", "typing", "typing_extensions", "dataclasses", "math", "cmath",
        "collections", "functools", "itertools", "enum", "abc", "numbers", "heapq", "bisect",
        "operator", "statistics", "decimal", "fractions", "re", "string", "copy", "warnings",
        "contextlib", "datetime", "zoneinfo", "hashlib", "struct", "array", "random", "json",
    }
)  # fmt: skip

#: Modules no kata may allowlist: each one reaches the harness or runs arbitrary code.
NEVER_ALLOWED_MODULES = frozenset(
    {"gc", "inspect", "ctypes", "cffi", "importlib", "builtins", "runpy", "code", "codeop",
     "pickle", "marshal", "dill", "cloudpickle", "_thread", "faulthandler", "tracemalloc",
     "pdb", "bdb", "trace", "sys_monitoring", "pytest", "_pytest", "graders", "hypothesis"}
)  # fmt: skip

#: Builtins whose mere use is flagged, with their rule family.
BLOCKED_BUILTINS = {
    "eval": "dynamic-code", "exec": "dynamic-code", "compile": "dynamic-code",
    "__import__": "dynamic-code", "globals": "introspection", "locals": "introspection",
    "vars": "introspection", "breakpoint": "introspection", "input": "process",
    "open": "file", "exit": "exit", "quit": "exit", "help": "introspection",
    "SystemExit": "exit", "KeyboardInterrupt": "exit", "__builtins__": "introspection",
    "__loader__": "introspection", "__spec__": "introspection", "__file__": "file",
}  # fmt: skip

#: Builtins common as parameter or variable names: not flagged where the file binds them.
SHADOWABLE_BUILTINS = frozenset({"input", "open", "help", "exit", "quit", "vars"})

#: Attribute names that lead from any object to the interpreter's internals.
BLOCKED_ATTRIBUTES = frozenset(
    {"__subclasses__", "__globals__", "__builtins__", "__code__", "__closure__", "__dict__",
     "__bases__", "__base__", "__mro__", "__getattribute__", "__reduce__", "__reduce_ex__",
     "__loader__", "__spec__", "__import__", "__self__", "__func__", "__wrapped__",
     "__defaults__", "__kwdefaults__", "__traceback__", "__setattr__", "__delattr__",
     "tb_frame", "tb_next", "f_back", "f_globals", "f_locals", "f_builtins", "f_code",
     "gi_frame", "cr_frame", "ag_frame", "gi_code", "cr_code", "co_code", "co_consts"}
)  # fmt: skip

#: Dotted names (glob patterns) reached through imported modules, with their rule family.
MODULE_RULES: tuple[tuple[str, str], ...] = (
    ("sys.modules", "introspection"), ("sys._getframe", "introspection"),
    ("sys._current_frames", "introspection"), ("sys.settrace", "introspection"),
    ("sys.setprofile", "introspection"), ("sys.monitoring*", "introspection"),
    ("sys.meta_path", "introspection"), ("sys.path_hooks", "introspection"),
    ("sys.path", "introspection"), ("sys.path_importer_cache", "introspection"),
    ("sys.addaudithook", "introspection"), ("sys.excepthook", "introspection"),
    ("sys.exc_info", "introspection"), ("sys.exception", "introspection"),
    ("sys.last_*", "introspection"), ("sys.exit", "exit"), ("sys.argv", "introspection"),
    ("sys.stdin", "process"),
    ("os._exit", "exit"), ("os.abort", "exit"), ("os.kill*", "process"),
    ("os.system", "process"), ("os.popen", "process"), ("os.fork*", "process"),
    ("os.exec*", "process"), ("os.spawn*", "process"), ("os.posix_spawn*", "process"),
    ("os.environ*", "introspection"), ("os.getenv*", "introspection"),
    ("os.putenv", "introspection"), ("os.unsetenv", "introspection"),
    ("os.setsid", "process"), ("os.setpgid", "process"),
    ("os.open", "file"), ("os.remove", "file"), ("os.unlink", "file"),
    ("os.rename", "file"), ("os.replace", "file"), ("os.listdir", "file"),
    ("os.scandir", "file"), ("os.walk", "file"), ("os.chdir", "file"), ("os.mkdir", "file"),
    ("os.makedirs", "file"), ("os.rmdir", "file"), ("os.symlink", "file"), ("os.link", "file"),
    ("os.chmod", "file"), ("os.fsync", "file"), ("os.read", "file"), ("os.write", "file"),
    ("os.path.exists", "file"), ("os.path.isfile", "file"), ("os.path.isdir", "file"),
    ("os.getcwd", "file"),
    ("numpy.load", "file"), ("numpy.save*", "file"), ("numpy.fromfile", "file"),
    ("numpy.*txt", "file"), ("numpy.genfromtxt", "file"), ("numpy.memmap", "file"),
    ("numpy.lib.format.*", "file"), ("numpy.ctypeslib*", "native"),
    ("numpy.set_printoptions", "introspection"),
    ("torch.load", "file"), ("torch.save", "file"), ("torch.from_file", "file"),
    ("torch.hub*", "network"), ("torch.utils.cpp_extension*", "native"),
    ("torch.ops.load_library", "native"), ("torch.classes*", "native"),
    ("torch.set_num_threads", "threads"), ("torch.set_num_interop_threads", "threads"),
    ("torch._C*", "native"), ("torch.testing*", "introspection"),
    ("numpy.testing*", "introspection"), ("pandas.testing*", "introspection"),
    ("pandas.read_*", "file"), ("pandas.io*", "file"), ("pandas.HDFStore", "file"),
    ("pandas.ExcelWriter", "file"),
    ("threading.settrace*", "introspection"), ("threading.setprofile*", "introspection"),
    ("threading._*", "introspection"), ("threading.excepthook", "introspection"),
    ("asyncio.create_subprocess*", "process"), ("asyncio.subprocess*", "process"),
    ("asyncio.open_connection", "network"), ("asyncio.open_unix_connection", "network"),
    ("asyncio.start_server", "network"), ("asyncio.start_unix_server", "network"),
)  # fmt: skip

#: Families a kata may switch off with ``allow = [...]`` in its kata.toml.
ALLOWABLE = frozenset({"file", "network", "process", "threads"})

_DUNDER_IN_STRING = re.compile(
    "|".join(re.escape(a) for a in sorted(BLOCKED_ATTRIBUTES) if a.startswith("__"))
)


@dataclass(frozen=True)
class Finding:
    """One policy violation: where it is and which rule it breaks."""

    file: str
    line: int
    col: int
    rule: str
    message: str

    def as_dict(self) -> dict:
        """JSON-ready form for the result file."""
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: [{self.rule}] {self.message}"


class _Checker(ast.NodeVisitor):
    def __init__(self, filename: str, allowed: set[str], allow_families: set[str]):
        self.filename = filename
        self.allowed = allowed
        self.allow_families = allow_families
        self.aliases: dict[str, str] = {}  # local name -> dotted module path
        self.bound: set[str] = set()  # names the file binds itself (parameters, assignments)
        self.findings: list[Finding] = []

    # -- helpers -------------------------------------------------------------------------
    def flag(self, node: ast.AST, rule: str, message: str) -> None:
        if rule in self.allow_families:
            return
        self.findings.append(
            Finding(self.filename, getattr(node, "lineno", 0), getattr(node, "col_offset", 0),
                    rule, message)
        )  # fmt: skip

    def check_module_path(self, node: ast.AST, dotted: str) -> None:
        """Flag ``dotted`` if it, or any prefix of it, matches a module rule."""
        parts = dotted.split(".")
        for end in range(1, len(parts) + 1):
            prefix = ".".join(parts[:end])
            for pattern, rule in MODULE_RULES:
                if fnmatch.fnmatchcase(prefix, pattern):
                    self.flag(node, rule, f"`{prefix}` is not allowed in a submission ({rule})")
                    return

    def resolve(self, node: ast.AST) -> str | None:
        """Dotted module path of ``node`` if it is an attribute chain on an imported module."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name) and node.id in self.aliases:
            return ".".join([self.aliases[node.id], *reversed(parts)])
        return None

    def check_import(self, node: ast.AST, module: str) -> None:
        top = module.split(".")[0]
        if top in NEVER_ALLOWED_MODULES:
            self.flag(node, "introspection", f"import of `{module}` can reach the test harness")
        elif top not in self.allowed and top not in BASELINE_MODULES:
            self.flag(node, "import", f"import of `{module}` is outside this kata's allowlist")

    # -- imports -------------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.check_import(node, alias.name)
            if alias.asname:
                self.aliases[alias.asname] = alias.name
            else:
                top = alias.name.split(".")[0]
                self.aliases[top] = top
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            self.flag(node, "import", "relative imports are not allowed (files are not a package)")
            return
        module = node.module or ""
        self.check_import(node, module)
        for alias in node.names:
            if alias.name == "*":
                self.flag(node, "import", f"`from {module} import *` hides what is used")
                continue
            dotted = f"{module}.{alias.name}"
            self.check_module_path(node, dotted)
            if alias.name in BLOCKED_ATTRIBUTES:
                self.flag(node, "introspection", f"`{alias.name}` reaches interpreter internals")
            self.aliases[alias.asname or alias.name] = dotted
        self.generic_visit(node)

    # -- names and attributes ------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        rule = BLOCKED_BUILTINS.get(node.id)
        shadowed = node.id in SHADOWABLE_BUILTINS and node.id in self.bound
        if rule and not shadowed and node.id not in self.aliases:
            self.flag(node, rule, f"`{node.id}` is not allowed in a submission ({rule})")
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in BLOCKED_ATTRIBUTES:
            self.flag(node, "introspection", f"`.{node.attr}` reaches interpreter internals")
        dotted = self.resolve(node)
        if dotted is None:
            self.generic_visit(node)
            return
        # A chain on an imported module is judged once, as a whole, at its outermost node.
        for part in dotted.split(".")[1:-1]:
            if part in BLOCKED_ATTRIBUTES:
                self.flag(node, "introspection", f"`.{part}` reaches interpreter internals")
        self.check_module_path(node, dotted)
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            self.flag(node, "monkeypatch", f"assigning to `{dotted}` patches a library")

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name) and func.id in {"getattr", "setattr", "delattr", "hasattr"}:
            name_arg = node.args[1] if len(node.args) > 1 else None
            if not (isinstance(name_arg, ast.Constant) and isinstance(name_arg.value, str)):
                self.flag(node, "introspection", f"`{func.id}` with a computed attribute name")
            elif name_arg.value in BLOCKED_ATTRIBUTES:
                self.flag(node, "introspection", f"`{func.id}` of `{name_arg.value}`")
            if func.id in {"setattr", "delattr"} and node.args:
                target = node.args[0]
                if isinstance(target, ast.Name) and target.id in self.aliases:
                    self.flag(node, "monkeypatch", f"`{func.id}` on module `{target.id}`")
                elif self.resolve(target) is not None:
                    self.flag(node, "monkeypatch", f"`{func.id}` on `{self.resolve(target)}`")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and _DUNDER_IN_STRING.search(node.value):
            self.flag(node, "introspection", "a string names an interpreter-internal attribute")

    def visit_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return  # a docstring or bare string: never evaluated as a name
        self.generic_visit(node)


def _bound_names(tree: ast.AST) -> set[str]:
    """Every name the module binds itself, in any scope."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return bound


def check_source(
    filename: str,
    source: str,
    allowed_imports: Iterable[str],
    local_modules: Iterable[str] = (),
    allow: Iterable[str] = (),
) -> list[Finding]:
    """Policy findings for one submitted file.

    Args:
        filename: the file's name as shown in findings (``diffusion.py``).
        source: its text.
        allowed_imports: top-level modules the kata allowlists (``kata.toml`` ``imports``).
        local_modules: the kata's own module names, importable from each other.
        allow: rule families the kata switches off (``file``, ``network``, ``process``,
            ``threads``).

    Returns:
        Findings in source order; empty when the file is clean.

    Raises:
        SubmissionError: the file is not valid Python (the message gives file, line, reason).
    """
    try:
        with _PARSE_LOCK:  # CPython 3.11's AST constructor is not thread-safe
            tree = ast.parse(source, filename=filename)
    except SyntaxError as exc:
        raise SubmissionError(f"syntax error in {filename} line {exc.lineno}: {exc.msg}") from None
    allowed = {m.split(".")[0] for m in allowed_imports} | set(local_modules)
    checker = _Checker(filename, allowed, set(allow) & ALLOWABLE)
    checker.bound = _bound_names(tree)
    checker.visit(tree)
    return sorted(checker.findings, key=lambda f: (f.line, f.col))


def forbidden_uses(filename: str, source: str, forbidden: Iterable[str]) -> list[Finding]:
    """Uses of the kata's ``forbidden`` dotted names (``torch.optim.AdamW``), through any import
    alias (``from torch import optim``, ``import torch.optim as o``, ``from torch.optim import
    AdamW as A``)."""
    names = set(forbidden)
    if not names:
        return []
    tree = ast.parse(source, filename=filename)
    alias: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                alias[a.asname or a.name.split(".")[0]] = (
                    a.name if a.asname else a.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                alias[a.asname or a.name] = f"{node.module}.{a.name}"
    found = []
    for node in ast.walk(tree):
        dotted = _dotted(node, alias)
        if dotted is None:
            continue
        hit = next((f for f in names if dotted == f or dotted.startswith(f + ".")), None)
        if hit and not (
            isinstance(node, ast.Name) and isinstance(getattr(node, "ctx", None), ast.Store)
        ):
            found.append(Finding(filename, node.lineno, node.col_offset, "forbidden",
                                 f"uses `{hit}`, which this kata asks you to write yourself"))  # fmt: skip
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                full = f"{node.module}.{a.name}"
                if full in names:
                    found.append(Finding(filename, node.lineno, node.col_offset, "forbidden",
                                         f"imports `{full}`, which this kata asks you to write yourself"))  # fmt: skip
    unique = {(f.line, f.message): f for f in found}
    return sorted(unique.values(), key=lambda f: (f.line, f.col))


def _dotted(node: ast.AST, alias: dict[str, str]) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or not parts:
        return None
    head = alias.get(node.id)
    if head is None:
        return None
    return ".".join([head, *reversed(parts)])


def check_files(
    files: dict[str, str],
    allowed_imports: Iterable[str],
    allow: Iterable[str] = (),
    forbidden: Iterable[str] = (),
) -> list[Finding]:
    """Policy findings for every submitted file (``{name: text}``), in name order; uses of the
    kata's ``forbidden`` names included.

    Raises:
        SubmissionError: one of the files is not valid Python.
    """
    local = [name.removesuffix(".py") for name in files]
    allowed = list(allowed_imports)
    findings: list[Finding] = []
    for name in sorted(files):
        findings += check_source(name, files[name], allowed, local, allow)
        findings += forbidden_uses(name, files[name], forbidden)
    return findings
