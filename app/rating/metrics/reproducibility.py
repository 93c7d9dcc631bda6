"""reproducibility: would the card's demo code run unchanged? Decided statically, never executed.

Each Python code block of the card (``python``/``py`` fences, or unlabelled ones that import
something; doctest prompts are stripped and their output lines dropped) is parsed with ``ast``
and runs unchanged when all of these hold:

- it parses, and every name it reads is bound somewhere in it (imported, assigned...);
- every import is the standard library or a known installable package (:data:`PACKAGES`);
- no string is a placeholder ("path/to/model", "<your-token>", "YOUR_...");
- it loads this model (``from_pretrained``, ``pipeline(model=...)``, ``SentenceTransformer``,
  ``hf_hub_download``...) by id or by its legacy short id (the bare name), through a literal or
  a variable assigned one; loading other repos besides (a base model's tokenizer) is fine, but
  a snippet that loads only other models, or a task's default model, needs fixing;
- it then calls what it loaded (``model(...)``, ``pipe(...)``, ``model.generate(...)``...).

    score = 1    if some snippet runs unchanged
            0.5  if the card has Python code but every snippet needs a fix
            0    if the card has no Python code

Not applicable (REST fallback 0) for a gated model read without a token: its card's text is
one of the files the hub gates.
"""

from __future__ import annotations

import ast
import builtins
import re
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from app.rating.cards import CodeBlock
from app.rating.context import GATED_REASON, ScoringContext
from app.rating.entities import Measured
from app.rating.metrics.base import Metric, not_applicable

PACKAGES = frozenset(
    {
        "transformers", "torch", "torchvision", "torchaudio", "diffusers", "datasets",
        "sentence_transformers", "numpy", "PIL", "timm", "onnxruntime", "optimum",
        "tokenizers", "huggingface_hub", "accelerate", "peft", "tensorflow", "keras",
        "librosa", "soundfile", "scipy", "sklearn", "requests", "evaluate", "pandas",
        "jax", "flax", "safetensors", "sentencepiece", "cv2", "matplotlib", "open_clip",
        "gguf", "llama_cpp", "vllm", "spacy", "nltk", "bitsandbytes", "einops", "tqdm",
    }
)  # fmt: skip
_LANGUAGES = frozenset({"python", "py", "python3", "py3", "pycon", "ipython", ""})
_LOADERS = frozenset(
    {"from_pretrained", "pipeline", "SentenceTransformer", "CrossEncoder", "create_model",
     "hf_hub_download", "snapshot_download", "from_single_file", "load_model"}
)  # fmt: skip
_MODEL_KEYWORDS = ("model", "repo_id", "pretrained_model_name_or_path", "model_name_or_path")
_INFER = frozenset(
    {"generate", "predict", "encode", "forward", "transcribe", "run", "infer", "classify",
     "embed", "sample", "similarity", "rank", "__call__"}
)  # fmt: skip
_PLACEHOLDER = re.compile(
    r"path/to\b|/path/|\byour[-_ ]|<(your|model|path|repo|file|token)[^>]*>|\bx{3,}\b"
    r"|\busername/|\bmy[-_]model\b",
    re.IGNORECASE,
)


_BUILTINS = frozenset(dir(builtins))


@dataclass(frozen=True, slots=True)
class Finding:
    runs: bool
    facts: tuple[str, ...]  # what it loads and calls, or what needs fixing


def python_source(block: CodeBlock) -> str | None:
    """The Python in a code block, None when the block is not Python."""
    if block.language not in _LANGUAGES:
        return None
    if not block.language and "import " not in block.code and "from_pretrained" not in block.code:
        return None
    lines = block.code.splitlines()
    if any(line.startswith(">>>") for line in lines):  # doctest: keep the input lines only
        lines = [line[4:] for line in lines if line.startswith((">>>", "..."))]
    # Notebook shell and magic lines ("!pip install x", "%matplotlib") are not Python.
    return textwrap.dedent("\n".join(ln for ln in lines if not ln.lstrip().startswith(("!", "%"))))


def judge(source: str, model_id: str) -> Finding:
    """Whether one snippet runs unchanged, from its syntax tree."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return Finding(runs=False, facts=(f"syntax error on line {exc.lineno}: {exc.msg}",))
    ids = {model_id.lower(), model_id.rsplit("/", 1)[-1].lower()}
    nodes = list(ast.walk(tree))  # walked once: the checks below each scan every node
    constants = _string_assignments(nodes)
    problems = [f"imports {name}, not an installable package" for name in _unknown_imports(nodes)]
    problems += [f"uses {name} without defining or importing it" for name in _undefined(nodes)][:1]
    problems += [
        f"placeholder {node.value!r}"
        for node in nodes
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and _PLACEHOLDER.search(node.value)
    ][:1]
    loaded, own_loads, others = set[str](), list[str](), list[str]()
    for node in nodes:
        if isinstance(node, ast.Assign) and _loader_call(node.value):
            loaded.update(t.id for t in node.targets if isinstance(t, ast.Name))
        if (call := _loader_call(node)) is None or call is not node:
            continue
        target = _model_argument(call, constants)
        if target is not None and target.lower() in ids:
            own_loads.append(_callee(call))
        elif target is not None and not _PLACEHOLDER.search(target):
            others.append(target)
    if not own_loads:  # other repos next to this model (a base tokenizer, say) are fine
        problems.append(
            f"loads a different model: {others[0]!r}" if others else f"never loads {model_id}"
        )
    elif not _calls_loaded(nodes, loaded):
        problems.append("loads the model but never runs it")
    if problems:
        return Finding(runs=False, facts=tuple(problems))
    return Finding(runs=True, facts=(f"loads {model_id} with {own_loads[0]}() and runs it",))


def _unknown_imports(nodes: list[ast.AST]) -> list[str]:
    names: list[str] = []
    for node in nodes:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    tops = dict.fromkeys(name.split(".", 1)[0] for name in names)
    return [t for t in tops if t not in PACKAGES and t not in sys.stdlib_module_names]


def _undefined(nodes: list[ast.AST]) -> list[str]:
    """Names read but bound nowhere in the snippet (flow-insensitive: a NameError for sure)."""
    bound = set(_BUILTINS)
    for node in nodes:
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".", 1)[0])
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    used = (n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load))
    return [name for name in dict.fromkeys(used) if name not in bound]


def _string_assignments(nodes: list[ast.AST]) -> dict[str, str]:
    """``model_id = "org/name"``: names bound to string literals."""
    found: dict[str, str] = {}
    for node in nodes:
        if not isinstance(node, ast.Assign) or not isinstance(node.value, ast.Constant):
            continue
        if isinstance(text := node.value.value, str):
            found.update({t.id: text for t in node.targets if isinstance(t, ast.Name)})
    return found


def _callee(call: ast.Call) -> str:
    func = call.func
    return (
        func.attr
        if isinstance(func, ast.Attribute)
        else func.id
        if isinstance(func, ast.Name)
        else ""
    )


def _loader_call(node: ast.AST) -> ast.Call | None:
    """The loading call in ``X.from_pretrained(...)`` or ``...from_pretrained(...).to(dev)``."""
    while isinstance(node, ast.Call):
        if _callee(node) in _LOADERS:
            return node
        func = node.func
        if not isinstance(func, ast.Attribute):
            return None
        node = func.value
    return None


def _model_argument(call: ast.Call, constants: dict[str, str]) -> str | None:
    """The model a loader names, None when it is computed (a function parameter...)."""
    if _callee(call) == "pipeline":
        args = call.args[1:]  # pipeline(task, model)
        if not args and not any(k.arg == "model" for k in call.keywords):
            return "the task's default model"
    else:
        args = call.args[:1]
    candidates = args + [k.value for k in call.keywords if k.arg in _MODEL_KEYWORDS]
    for arg in candidates:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return arg.value
        if isinstance(arg, ast.Name) and arg.id in constants:
            return constants[arg.id]
    return None


def _calls_loaded(nodes: list[ast.AST], loaded: set[str]) -> bool:
    for node in nodes:
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in loaded:
            return True
        if isinstance(func, ast.Attribute) and func.attr in _INFER:
            owner = func.value
            if isinstance(owner, ast.Name) and owner.id in loaded:
                return True
        if isinstance(func, ast.Call) and _loader_call(func):  # pipeline(...)("text")
            return True
    return False


def score_snippets(blocks: Sequence[CodeBlock], model_id: str) -> Measured:
    sources = [s for s in (python_source(b) for b in blocks) if s is not None]
    if not sources:
        return Measured(
            score=0.0,
            evidence=[f"{len(blocks)} code block(s), none in Python", "no demo code to run"],
            explanation="The card has no Python example to reproduce.",
        )
    findings = [judge(source, model_id) for source in sources]
    evidence = [f"{len(sources)} Python snippet(s) in the card"]
    running = [i for i, f in enumerate(findings, 1) if f.runs]
    if running:
        evidence.append(f"snippet {running[0]} runs unchanged: {findings[running[0] - 1].facts[0]}")
        evidence.append(f"{len(running)} of {len(findings)} snippet(s) would run as written")
        return Measured(1.0, evidence, "The card's example code would run unchanged.")
    for i, finding in enumerate(findings[:3], 1):
        evidence.append(f"snippet {i}: " + "; ".join(finding.facts[:2]))
    return Measured(0.5, evidence, "The card has example code, but it needs fixes to run.")


async def compute(ctx: ScoringContext) -> Measured:
    if await ctx.files_gated():
        return not_applicable(
            GATED_REASON, "The model's card cannot be read, so its demo code is unknown."
        )
    card = await ctx.card()
    size = sum(len(b.code) for b in card.code_blocks)
    return await ctx.cpu(score_snippets, card.code_blocks, ctx.model_id, size=size)


METRIC = Metric("reproducibility", compute)
