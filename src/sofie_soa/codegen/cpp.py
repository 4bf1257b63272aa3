"""The only place where values become C++ source text. Text from a model (tensor and node names, file names, the
name= a caller gives) never reaches generated code as code: names become escaped string literals (every byte
outside [A-Za-z0-9 _.:/-] as an octal escape), comments carry sanitised printable ASCII on one line (no
backslash, which would continue a // comment onto the next line), and identifiers are validated or derived.
Numbers are exact: floats as hexadecimal literals, integers with their extreme values spelled safely.
"""

from __future__ import annotations

import hashlib
import math
import re

import numpy as np

from sofie_soa.compiler.symbolic import SymN

_SAFE = re.compile(rb"[A-Za-z0-9 _.:/-]")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

# C++20 keywords and alternative tokens, and names a generated namespace must not shadow.
_RESERVED = set("""alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t char16_t
char32_t class compl concept const consteval constexpr constinit const_cast continue co_await co_return co_yield
decltype default delete do double dynamic_cast else enum explicit export extern false float for friend goto if
inline int long mutable namespace new noexcept not not_eq nullptr operator or or_eq private protected public
register reinterpret_cast requires return short signed sizeof static static_assert static_cast struct switch
template this thread_local throw true try typedef typeid typename union unsigned using virtual void volatile
wchar_t while xor xor_eq final override import module std sofie_soa sofie_soa_generated alpaka kernels compat
detail runtime memory Model Session main""".split())


def string_literal(text: str) -> str:
    """`text` (UTF-8) as a C++ string literal that holds exactly its bytes."""
    out = []
    for byte in text.encode("utf-8"):
        b = bytes([byte])
        out.append(b.decode() if _SAFE.fullmatch(b) else f"\\{byte:03o}")
    return '"' + "".join(out) + '"'


def comment_text(text: str, limit: int = 120) -> str:
    """`text` for a // comment: printable ASCII without backslashes, one line, at most `limit` characters."""
    clean = "".join(c if " " <= c <= "~" and c != "\\" else "?" for c in str(text))
    return clean if len(clean) <= limit else clean[:limit - 3] + "..."


def identifier(name: str) -> str:
    """A C++ identifier for `name`: itself when it is one and not reserved; otherwise its characters outside
    [A-Za-z0-9_] replaced by '_', prefixed by 'm_' where it would start with a digit or be reserved, and suffixed
    by a short hash of the original, so that distinct names stay distinct. Never contains '__' (reserved)."""
    if _IDENTIFIER.match(name) and name not in _RESERVED and "__" not in name and not name.startswith("_"):
        return name
    base = re.sub(r"[^A-Za-z0-9_]", "_", name)
    base = re.sub(r"_+", "_", base).strip("_") or "model"
    if base[0].isdigit() or base in _RESERVED:
        base = "m_" + base
    return f"{base[:48]}_{hashlib.sha256(name.encode('utf-8')).hexdigest()[:8]}"


def float_literal(value: float, dtype: str = "float64") -> str:
    """An exact C++ literal of `value` rounded to `dtype` (float32 values get an f suffix)."""
    v = float(np.float32(value)) if dtype == "float32" else float(value)
    suffix = "f" if dtype == "float32" else ""
    kind = "float" if dtype == "float32" else "double"
    if math.isnan(v):
        return f"::std::numeric_limits<{kind}>::quiet_NaN()"
    if math.isinf(v):
        return ("-" if v < 0 else "") + f"::std::numeric_limits<{kind}>::infinity()"
    return v.hex() + suffix


def int_literal(value: int) -> str:
    value = int(value)
    if value == -(2**63):
        return "(::std::int64_t{-9223372036854775807} - 1)"
    if value > 2**63 - 1:
        return f"::std::uint64_t{{{value}u}}"
    return f"::std::int64_t{{{value}}}"


def dim(value) -> str:
    """An extent, stride or offset: an int or c·N, as an expression in the session's element count n."""
    if isinstance(value, SymN):
        return "n" if value.c == 1 else f"({value.c} * n)"
    return str(int(value))


def linear(a: int, b: int) -> str:
    """a * n + b."""
    if a == 0:
        return str(b)
    head = "n" if a == 1 else f"{a} * n"
    return f"({head} + {b})" if b else f"({head})"


def scalar(value, dtype: str) -> str:
    """A value of `dtype` as a C++ expression of that type."""
    from sofie_soa.compiler.dtypes import CPP, FLOATS
    if dtype == "bool":
        return "true" if bool(value) else "false"
    if dtype == "float16":
        return f"::sofie_soa::kernels::Half{{{int(np.float16(value).view(np.uint16))}}}"
    if dtype in FLOATS:
        return float_literal(value, dtype)
    return f"static_cast<{CPP[dtype]}>({int_literal(int(value))})"
