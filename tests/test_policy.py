"""The static policy check flags what can reach outside the exercise, and nothing ordinary."""

import pytest

from graders.errors import SubmissionError
from graders.policy import check_source


def rules(src: str, allowed=("torch", "numpy"), allow=()) -> list[str]:
    return [f.rule for f in check_source("sub.py", src, allowed, allow=allow)]


def test_clean_solution_has_no_findings():
    """Ordinary numerical code, dataclasses, a parameter named input: nothing flagged."""
    src = '''
import math
from dataclasses import dataclass
import torch
import numpy as np

@dataclass
class Box:
    x: float

def forward(self, input):
    """Mentions __dict__ in a docstring only."""
    y = torch.zeros(3) + np.ones(3).sum()
    super().__init__()
    return type(self).__name__, math.sqrt(2), input, getattr(self, "x")
'''
    assert check_source("sub.py", src, ["torch", "numpy"]) == []


def test_sys_modules_is_flagged():
    """`import sys` used to reach sys.modules: the import and the access are both flagged."""
    findings = check_source("sub.py", "import sys\nm = sys.modules['graders']\n", ["torch"])
    assert [(f.line, f.rule) for f in findings] == [(1, "import"), (2, "introspection")]
    assert "sys.modules" in findings[1].message


@pytest.mark.parametrize(
    ("src", "rule"),
    [
        ("x = eval('1')", "dynamic-code"),
        ("exec('x=1')", "dynamic-code"),
        ("c = compile('1', 'f', 'eval')", "dynamic-code"),
        ("m = __import__('os')", "dynamic-code"),
        ("import gc", "introspection"),
        ("import inspect", "introspection"),
        ("from importlib import import_module", "introspection"),
        ("f = (lambda: 0).__globals__", "introspection"),
        ("s = object.__subclasses__()", "introspection"),
        ("x = getattr(object, name)", "introspection"),
        ("x = getattr(f, '__code__')", "introspection"),
        ("x = '{0.__globals__}'.format(f)", "introspection"),
        ("import torch\ntorch.allclose = lambda *a, **k: True", "monkeypatch"),
        ("import numpy as np\nsetattr(np, 'allclose', None)", "monkeypatch"),
        ("open('/etc/passwd')", "file"),
        ("import numpy as np\nnp.load('x.npy')", "file"),
        ("import torch\ntorch.save({}, 'x')", "file"),
        ("exit(0)", "exit"),
        ("raise SystemExit(0)", "exit"),
        ("import socket", "import"),
        ("import subprocess", "import"),
        ("from os import system", "import"),
        ("import torch\ntorch.set_num_threads(8)", "threads"),
        ("from torch import *", "import"),
        ("from . import helper", "import"),
    ],
)
def test_violations_are_flagged(src, rule):
    """Each escape hatch is reported with its rule family."""
    assert rule in rules(src), f"{src!r} not flagged as {rule}: {rules(src)}"


def test_allowed_families_are_not_flagged():
    """A kata that allows file access (allow = ["file"]) may open files."""
    assert rules("open('x')", allow=["file"]) == []
    assert rules("open('x')") == ["file"]


def test_local_modules_import_each_other():
    """Files of a multi-file kata may import each other; not other modules."""
    assert check_source("a.py", "import b\nfrom b import f", [], local_modules=["a", "b"]) == []


def test_syntax_error_is_a_submission_error():
    """A file that does not parse raises SubmissionError naming the file and line."""
    with pytest.raises(SubmissionError, match=r"sub\.py line 2"):
        check_source("sub.py", "x = 1\ndef f(:\n", [])


def test_forbidden_names_are_flagged_through_any_alias():
    """Every way to reach a forbidden name is a finding; other names of the module are not."""
    from graders.policy import check_files

    src = (
        "import torch\nfrom torch import optim\nimport torch.optim as o\n"
        "from torch.optim import AdamW as A\n\n\ndef f(p):\n"
        "    torch.optim.AdamW(p)\n    optim.AdamW(p)\n    o.AdamW(p)\n    torch.optim.SGD(p)\n"
    )
    findings = check_files({"opt.py": src}, ["torch"], forbidden=["torch.optim.AdamW"])
    lines = sorted(f.line for f in findings if f.rule == "forbidden")
    assert lines == [4, 8, 9, 10]
