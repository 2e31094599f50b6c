"""attnc.float_ops: float arithmetic on Python scalars that never raises, with IEEE results."""
import math

from attnc import float_ops as f


def test_division():
    assert f.div(1.0, 4.0) == 0.25
    assert f.div(1.0, 0.0) == math.inf
    assert f.div(-1.0, 0.0) == -math.inf
    assert f.div(1.0, -0.0) == -math.inf
    assert math.isnan(f.div(0.0, 0.0))


def test_floor_modulo():
    assert f.mod(5.5, 2.0) == 1.5
    assert f.mod(-5.5, 2.0) == 0.5  # the sign of the divisor, as the other targets print it
    assert math.isnan(f.mod(1.0, 0.0))


def test_exp_log_sqrt_pow():
    assert f.exp(1000.0) == math.inf
    assert f.exp(0.0) == 1.0
    assert f.log(0.0) == -math.inf
    assert math.isnan(f.log(-1.0))
    assert f.log(math.e) == 1.0
    assert math.isnan(f.sqrt(-4.0))
    assert f.sqrt(4.0) == 2.0
    assert f.pow(2.0, 3.0) == 8.0
    assert f.pow(0.0, -1.0) == math.inf
    assert f.pow(10.0, 400.0) == math.inf
    assert f.pow(-10.0, 401.0) == -math.inf
    assert math.isnan(f.pow(-8.0, 1.0 / 3.0))
