"""Every exception and warning class a user may catch is exported from ``sofie_soa`` (and listed in __all__)."""

import importlib
import inspect
import pkgutil

import sofie_soa

# Raised and caught inside the package, never seen by a caller (each with where it is turned into a public one).
INTERNAL = {"NotExpressible": "compiler/symbolic.py; compiler/ops/shapes.py reports it as a ModelError"}


def _public_exception_classes():
    found = {}
    for info in pkgutil.walk_packages(sofie_soa.__path__, "sofie_soa."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (inspect.isclass(obj) and issubclass(obj, BaseException) and not name.startswith("_")
                    and obj.__module__.startswith("sofie_soa") and name not in INTERNAL):
                found[name] = obj
    return found


def test_every_exception_and_warning_class_of_the_package_is_exported():
    classes = _public_exception_classes()
    assert {"AlpakaNotFound", "BuildError", "ModelError", "UnsupportedOperator", "FixedBatchWarning"} <= set(classes)
    for name, cls in classes.items():
        assert getattr(sofie_soa, name, None) is cls, f"sofie_soa.{name} is not exported"
        assert name in sofie_soa.__all__, name


def test_every_name_in_all_exists_and_has_a_docstring():
    for name in sofie_soa.__all__:
        assert (getattr(sofie_soa, name).__doc__ or "").strip(), name
