"""The usage examples in gan_helpers' docstrings run and print what they claim (doctest)."""

import doctest
import importlib
import pkgutil

import pytest

import gan_helpers

MODULES = sorted(m.name for m in pkgutil.iter_modules(gan_helpers.__path__) if not m.name.startswith("_"))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(f"gan_helpers.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    if result.attempted == 0:
        pytest.skip(f"gan_helpers.{name} has no >>> examples")
    assert result.failed == 0, f"{result.failed} of {result.attempted} docstring examples in gan_helpers.{name} failed"


def test_every_module_has_a_docstring():
    for name in MODULES:
        doc = importlib.import_module(f"gan_helpers.{name}").__doc__
        assert doc and len(doc.strip()) > 40, f"gan_helpers.{name} needs a module docstring that documents it"
