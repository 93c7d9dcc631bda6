"""What a pickle may import, in one place: the globals a model checkpoint legitimately names,
and those that let unpickling run code. A global in neither list is suspicious: shown, and left
to the operator's policy.

Sources: the PyTorch serialization format (``torch._utils._rebuild_*``, storages, dtypes, and
``collections.OrderedDict`` for state dicts); the allow- and deny-lists of picklescan
(mmaitre314/picklescan) and fickling (trailofbits/fickling); Hugging Face's "Pickle Scanning"
documentation, which names ``os``, ``subprocess``, ``builtins.eval``/``exec``, ``runpy``,
``socket`` and ``webbrowser`` among the imports it flags.
"""

from __future__ import annotations

from enum import StrEnum


class ImportVerdict(StrEnum):
    SAFE = "safe"
    SUSPICIOUS = "suspicious"
    DANGEROUS = "dangerous"


#: Modules every name of which is safe to import while unpickling a checkpoint. The
#: ``transformers`` ones hold the dataclasses and enums ``Trainer`` saves as
#: ``training_args.bin`` beside a fine-tune's weights.
_SAFE_MODULES = frozenset(
    {
        "torch._utils",
        "numpy.core.multiarray",
        "numpy._core.multiarray",
        "_codecs",
        "transformers.training_args",
        "transformers.training_args_seq2seq",
        "transformers.trainer_utils",
        "transformers.utils.generic",
        "transformers.debug_utils",
    }
)
#: Within ``torch``, what loads or builds code is not a tensor's business.
_TORCH_RISKY_NAMES = frozenset({"load", "save", "compile", "hub", "jit", "package"})
_TORCH_RISKY_MODULES = ("torch.hub", "torch.jit", "torch.package", "torch.utils.cpp_extension")
#: Single safe globals outside those modules, as ``module.name``.
_SAFE_GLOBALS = frozenset(
    {
        "collections.OrderedDict",
        "collections.defaultdict",
        "builtins.set",
        "builtins.frozenset",
        "builtins.slice",
        "builtins.complex",
        "builtins.bytearray",
        # the same names as protocol 2 writes them for Python 2 (``fix_imports``)
        "__builtin__.set",
        "__builtin__.frozenset",
        "__builtin__.slice",
        "__builtin__.complex",
        "__builtin__.bytearray",
        "numpy.dtype",
        "numpy.ndarray",
        "numpy.core.multiarray._reconstruct",
        "numpy.core.multiarray.scalar",
        "numpy._core.multiarray._reconstruct",
        "numpy._core.multiarray.scalar",
    }
)
#: Modules any name of which runs code, reaches the system or the network.
_DANGEROUS_MODULES = frozenset(
    {
        "os",
        "posix",
        "nt",
        "subprocess",
        "sys",
        "runpy",
        "socket",
        "shutil",
        "webbrowser",
        "pty",
        "commands",
        "multiprocessing",
        "asyncio",
        "importlib",
        "code",
        "pdb",
        "ctypes",
        "requests",
        "httpx",
        "urllib",
        "aiohttp",
        "pickle",
        "_pickle",
        "marshal",
        "types",
    }
)
#: Single dangerous globals in otherwise ordinary modules.
_DANGEROUS_GLOBALS = frozenset(
    {
        "builtins.eval",
        "builtins.exec",
        "builtins.compile",
        "builtins.open",
        "builtins.__import__",
        "builtins.getattr",
        "builtins.setattr",
        "builtins.globals",
        "builtins.breakpoint",
        "builtins.input",
        "__builtin__.eval",
        "__builtin__.exec",
        "__builtin__.open",
        "__builtin__.getattr",
        "operator.attrgetter",
        "operator.methodcaller",
        "functools.partial",
    }
)


def classify(module: str, name: str) -> ImportVerdict:
    """What importing ``module.name`` while unpickling means."""
    qualified = f"{module}.{name}"
    top = module.split(".", 1)[0]
    if qualified in _DANGEROUS_GLOBALS or module in _DANGEROUS_MODULES or top in _DANGEROUS_MODULES:
        return ImportVerdict.DANGEROUS
    if qualified in _SAFE_GLOBALS or module in _SAFE_MODULES:
        return ImportVerdict.SAFE
    if top == "torch":
        risky = name in _TORCH_RISKY_NAMES or module.startswith(_TORCH_RISKY_MODULES)
        return ImportVerdict.SUSPICIOUS if risky else ImportVerdict.SAFE
    return ImportVerdict.SUSPICIOUS
