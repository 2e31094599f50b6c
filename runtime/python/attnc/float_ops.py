"""Float operations on Python scalars for generated FlexAttention modules.

Where Python raises (a float division or modulo by zero, `math.exp` overflow, `math.log` or
`math.sqrt` out of their domain, `math.pow` overflow or a zero base with a negative exponent),
these return what IEEE float hardware gives (inf, -inf or nan), as the CUDA, WGSL and
TypeScript outputs of the same pattern do. So a generated module may evaluate a shared
sub-expression before knowing whether a branch needs it: nothing it computes can raise.
"""

import math


def div(a, b):
    """a / b."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _floor(x):
    return math.floor(x) if math.isfinite(x) else x


def mod(a, b):
    """Floor modulo, a - b * floor(a / b) (the sign of b), as the other targets print it."""
    return a - b * _floor(div(a, b))


def pow(a, b):  # noqa: A001 (the language's name)
    """a ** b."""
    try:
        return math.pow(a, b)
    except OverflowError:
        odd = float(b).is_integer() and int(b) % 2 == 1
        return math.copysign(math.inf, a) if odd else math.inf
    except ValueError:
        if a == 0:
            odd = float(b).is_integer() and int(b) % 2 == 1
            return math.copysign(math.inf, a) if odd else math.inf
        return math.nan


def exp(x):
    """e ** x."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def log(x):
    """The natural logarithm: -inf at 0, nan below."""
    if x != x or x < 0:
        return math.nan
    return -math.inf if x == 0 else math.log(x)


def sqrt(x):
    """The square root: nan below 0."""
    return math.nan if x < 0 else math.sqrt(x)
