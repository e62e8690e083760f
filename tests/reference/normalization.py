#!/usr/bin/python3
"""Reference values for soma's Normalization layer (tests/layers/normalization_layer_test.cpp), from NumPy.

Keras 3's Normalization: adapt computes the mean and the population variance (np.var, ddof=0) over every
axis but the kept ones; y = (x - mean) / max(sqrt(variance), 1e-7), and invert gives mean + x * that.
Data are float32 values with an offset and spread per kept index, so a wrong axis shows.

Run with the Debian interpreter:  /usr/bin/python3 tests/reference/normalization.py
"""
import os

import numpy as np

cases = []


def case(name, shape, axis, invert=False, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape) * (1 + np.arange(shape[-1])) + 3 * np.sin(np.arange(np.prod(shape[1:]))).reshape(shape[1:])
    x = x.astype(np.float32)
    ndim = len(shape)
    keep = sorted(a % ndim for a in axis)
    reduce = tuple(a for a in range(ndim) if a not in keep)
    xd = x.astype(np.float64)
    mean = xd.mean(axis=reduce, keepdims=True)
    var = xd.var(axis=reduce, keepdims=True)
    sd = np.maximum(np.sqrt(var), 1e-7)
    y = mean + xd * sd if invert else (xd - mean) / sd
    kept_shape = tuple(shape[a] for a in keep)
    inputs = {"x": x}
    outputs = {"mean": mean.reshape(kept_shape), "variance": var.reshape(kept_shape), "y": y}
    opts = f"axis={','.join(map(str, axis)) if axis else 'none'} invert={int(invert)}"
    cases.append((name, inputs, outputs, opts))


case("last_axis", (50, 5), [-1])
case("one_statistic", (20, 3, 4), [])
case("two_axes", (30, 2, 3, 4), [1, 3], seed=1)
case("middle_axis_inverted", (25, 3, 4), [1], invert=True, seed=2)
case("every_sample_axis", (40, 2, 3), [1, 2], seed=3)

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "normalization.txt"), "w") as f:
    f.write("# soma Normalization references: written by normalization.py from NumPy (float64). Do not edit.\n")
    f.write("# case NAME | options ... | tensor NAME rank dims... values... | end\n")
    for name, inputs, outputs, options in cases:
        f.write(f"case {name}\noptions {options}\n")
        for tname, t in list(inputs.items()) + list(outputs.items()):
            t = np.asarray(t)
            f.write(f"tensor {tname} {t.ndim} {' '.join(map(str, t.shape))} {' '.join(f'{v:.9g}' for v in t.ravel())}\n")
        f.write("end\n")
print(f"wrote {len(cases)} cases")
