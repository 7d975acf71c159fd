"""Kernel-side half of the grader's guard against submissions that tamper with the grading kernel.

This file is not imported by the grader: :class:`grading.preprocessors.GuardTestCells` pastes its
text into a cell that runs first in the autograde kernel, before any learner code, followed by a
call ``_grader_guard_install([...module names...])``. That call records the original callables of
the modules the tests rely on (torch, torch.Tensor, torch.nn.functional, numpy, math, builtins,
inspect, every ``gan_helpers`` module, and whatever the locked cells import) and IPython's hooks,
and installs ``builtins.__grader_guard__``.

Before every autograded test cell the grader runs one more cell, ``__grader_guard__(globals(),
aliases, token)``, which

* puts back every recorded callable a submission replaced (module attributes, a function's
  ``__code__`` and defaults, ``torch.Tensor`` methods) and the names the locked cells imported
  (``check_close``, ``F``, ``torch``, ...) in the notebook's namespace;
* removes input/AST transformers, pre/post-run hooks and custom exception handlers the submission
  added, and restores ``sys.stdout``/``sys.stderr``/``sys.displayhook``;
* checks that comparisons still fail on unequal values (``check_close``, ``torch.allclose``,
  ``numpy.allclose``), raising if not;
* prints ``token``: the grader gives the test cell no points unless the token shows up.

This defends the easy ways to make every comparison pass. It is not a sandbox: code that runs in
the same kernel can find and replace this guard too (see the README's threat model).
"""


def _grader_guard_install(module_names):
    import builtins
    import importlib
    import inspect
    import sys
    import types

    def _load(name):
        try:
            return importlib.import_module(name)
        except Exception:  # noqa: BLE001  (a module a locked cell imports may fail on its own; the cell will say so)
            return None

    core = ["builtins", "math", "inspect", "torch", "torch.nn.functional", "torch.testing", "numpy",
            "numpy.testing", "gan_helpers", "gan_helpers.checks"]
    modules = {}
    for name in core + list(module_names):
        module = _load(name)
        if module is not None:
            modules[name] = module
    gan_helpers = modules.get("gan_helpers")
    if gan_helpers is not None:
        import pkgutil
        for info in pkgutil.iter_modules(gan_helpers.__path__):
            if not info.name.startswith("_"):
                module = _load(f"gan_helpers.{info.name}")
                if module is not None:
                    modules[f"gan_helpers.{info.name}"] = module

    # owner -> {attribute: original}; owners are modules and the classes defined in them
    originals = {}
    codes = {}

    def record(owner):
        table = originals.setdefault(id(owner), (owner, {}))[1]
        for attr, value in list(vars(owner).items()):
            if isinstance(value, (types.FunctionType, types.BuiltinFunctionType, types.MethodDescriptorType,
                                  types.WrapperDescriptorType, types.ModuleType, type, classmethod,
                                  staticmethod, property)):
                table[attr] = value
            func = value.__func__ if isinstance(value, (classmethod, staticmethod)) else value
            if isinstance(func, types.FunctionType):
                codes[id(func)] = (func, func.__code__, func.__defaults__, func.__kwdefaults__)

    for name, module in modules.items():
        record(module)
        for value in list(vars(module).values()):
            if isinstance(value, type) and getattr(value, "__module__", None) == name:
                record(value)
    torch = modules.get("torch")
    if torch is not None:
        record(torch.Tensor)
    saved_modules = dict(modules)

    shell = get_ipython()  # noqa: F821  (IPython provides it)
    hooks = {
        "input_transformers_cleanup": list(shell.input_transformers_cleanup),
        "input_transformers_post": list(shell.input_transformers_post),
        "ast_transformers": list(shell.ast_transformers),
    }
    events = {name: list(callbacks) for name, callbacks in shell.events.callbacks.items()}
    streams = (sys.stdout, sys.stderr, sys.displayhook)
    shell_methods = {}
    for klass in type(shell).__mro__:
        for attr in ("run_cell", "run_cell_async", "transform_cell", "run_ast_nodes", "run_code",
                     "showtraceback", "_showtraceback", "should_run_async", "ex"):
            if attr in vars(klass) and attr not in shell_methods:
                shell_methods[attr] = (klass, vars(klass)[attr])

    def guard(namespace, aliases, token):
        # 1. modules and their callables, put back where replaced
        for name, module in saved_modules.items():
            if sys.modules.get(name) is not module:
                sys.modules[name] = module
        for owner, table in originals.values():
            current = vars(owner)
            for attr, value in table.items():
                if current.get(attr, None) is not value:
                    setattr(owner, attr, value)
        for func, code, defaults, kwdefaults in codes.values():
            if func.__code__ is not code:
                func.__code__ = code
            if func.__defaults__ is not defaults:
                func.__defaults__ = defaults
            if func.__kwdefaults__ is not kwdefaults:
                func.__kwdefaults__ = kwdefaults
        # 2. the names the locked cells imported
        for alias, (module_name, attr) in aliases.items():
            module = saved_modules.get(module_name) or _load(module_name)
            if module is None:
                continue
            if attr is None:
                namespace[alias] = module
            else:
                table = originals.get(id(module), (None, {}))[1]
                value = table.get(attr, getattr(module, attr, None))
                if value is not None:
                    namespace[alias] = value
        # 3. IPython's hooks
        for attr, saved in hooks.items():
            getattr(shell, attr)[:] = saved
        for name, saved in events.items():
            shell.events.callbacks[name][:] = saved
        shell.set_custom_exc((), None)
        for attr, (klass, value) in shell_methods.items():
            if attr in vars(shell):
                delattr(shell, attr)
            if vars(klass).get(attr) is not value:
                setattr(klass, attr, value)
        sys.stdout, sys.stderr, sys.displayhook = streams
        # 4. comparisons must still tell 1 from 2
        one, two = torch.tensor([1.0]), torch.tensor([2.0])
        if torch.allclose(one, two) or bool(torch.isclose(one, two).all()):
            raise RuntimeError("torch.allclose/isclose report 1 and 2 as close: the submission changed how "
                               "the tests compare values, so this test cell earns no points.")
        numpy = saved_modules.get("numpy")
        if numpy is not None and (numpy.allclose(1.0, 2.0) or numpy.isclose(1.0, 2.0)):
            raise RuntimeError("numpy.allclose/isclose report 1 and 2 as close: the submission changed how "
                               "the tests compare values, so this test cell earns no points.")
        checks = saved_modules.get("gan_helpers.checks")
        if checks is not None:
            try:
                checks.check_close(one, two, "the grader's own probe")
            except AssertionError:
                pass
            else:
                raise RuntimeError("check_close accepts 1 for 2: the submission changed the course's checks, "
                                   "so this test cell earns no points.")
        builtins.print(token)

    builtins.__grader_guard__ = guard
    del inspect
