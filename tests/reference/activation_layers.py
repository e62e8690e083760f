#!/usr/bin/python3
"""Reference values for soma's activations and activation layers (tests/layers/activation_reference_test.cpp),
from PyTorch in float64: forward values and the input gradient (and PReLU's alpha gradient) for a fixed
output seed dy.

Keras 3 semantics, written with PyTorch's own functions where it has them (F.hardsigmoid is Keras 3's
relu6(x + 3) / 6, F.hardswish its hard_silu, F.silu its swish, F.gelu with approximate="none" its gelu);
tf.keras 2's hard_sigmoid (clip(0.2 x + 0.5, 0, 1)) and Keras 3's ReLU(max_value, negative_slope,
threshold) are spelled out as Keras' source computes them.

Run with the Debian interpreter:  /usr/bin/python3 tests/reference/activation_layers.py
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def values(shape, seed, scale=0.8):
    n = int(np.prod(shape))
    return np.sin(0.37 * np.arange(n) + seed).reshape(shape) * scale


cases = []


def case(name, options, fn, inputs, grads):
    """fn(*tensors) -> y; inputs: name -> array; grads: the input names whose gradient is written as d<name>."""
    ts = {k: torch.tensor(v, requires_grad=k in grads) for k, v in inputs.items()}
    y = fn(*ts.values())
    dy = torch.tensor(values(tuple(y.shape), 2.9, 1.0))
    (y * dy).sum().backward()
    out = dict(inputs)
    out["dy"] = dy.numpy()
    out["y"] = y.detach().numpy()
    for k in grads:
        out["d" + k] = ts[k].grad.numpy()
    cases.append((name, options, out))


# Element-wise activations by name over [-7, 7], off the kinks (0, +-2.5, +-3, 6) where gradients jump.
x = np.linspace(-7.0, 7.0, 60) + 0.0137
activations = {
    "relu": F.relu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "elu": F.elu,
    "leaky_relu": lambda t: F.leaky_relu(t, 0.2),
    "gelu": lambda t: F.gelu(t, approximate="none"),
    "swish": F.silu,
    "silu": F.silu,
    "softplus": F.softplus,
    "selu": F.selu,
    "hard_sigmoid": F.hardsigmoid,
    "hard_sigmoid_keras2": lambda t: torch.clamp(0.2 * t + 0.5, 0.0, 1.0),
    "softsign": F.softsign,
    "hard_silu": F.hardswish,
    "hard_swish": F.hardswish,
    "relu6": F.relu6,
    "mish": F.mish,
    "exponential": torch.exp,
}
for name, fn in activations.items():
    case("activation_" + name, f"activation={name}", fn, {"x": x.reshape(6, 10)}, ["x"])
x = values((4, 7), 0.4, 6.0)
case("activation_softmax", "activation=softmax", lambda t: F.softmax(t, dim=-1), {"x": x}, ["x"])
case("activation_log_softmax", "activation=log_softmax", lambda t: F.log_softmax(t, dim=-1), {"x": x}, ["x"])


def keras_relu(t, negative_slope, max_value, threshold):
    # keras.src.activations.activations.ReLU.static_call, step by step.
    negative_part = F.relu(-t + threshold) if negative_slope != 0 else None
    y = t * (t > threshold).to(t.dtype) if threshold != 0 else F.relu(t)
    if max_value is not None:
        y = torch.clamp(y, 0.0, max_value)
    if negative_slope != 0:
        y = y - negative_slope * negative_part
    return y


x = values((3, 4, 5), 0.5, 4.0) + 0.011
for i, (slope, top, thr) in enumerate([(0.0, None, 0.0), (0.0, 6.0, 0.0), (0.15, None, 0.0), (0.1, 2.5, 0.5),
                                        (0.2, None, 1.0), (0.0, 3.0, 1.5), (0.3, 6.0, 0.0)]):
    top_s = "none" if top is None else str(top)
    case(f"relu_{i}", f"negative_slope={slope} max_value={top_s} threshold={thr}",
         lambda t: keras_relu(t, slope, top, thr), {"x": x}, ["x"])

case("leaky_relu_default", "negative_slope=default", lambda t: F.leaky_relu(t, 0.3), {"x": x}, ["x"])
case("leaky_relu_0.05", "negative_slope=0.05", lambda t: F.leaky_relu(t, 0.05), {"x": x}, ["x"])
case("elu_default", "alpha=default", lambda t: F.elu(t, 1.0), {"x": x}, ["x"])
case("elu_0.4", "alpha=0.4", lambda t: F.elu(t, 0.4), {"x": x}, ["x"])


def keras_prelu(t, alpha):
    return F.relu(t) - alpha * F.relu(-t)  # keras.src.layers.activations.prelu.PReLU.call


x = values((2, 3, 4, 5), 0.6, 2.0)
for axes, shape in [("none", (3, 4, 5)), ("1,2", (1, 1, 5)), ("3", (3, 4, 1)), ("1,3", (1, 4, 1))]:
    alpha = values(shape, 0.7, 0.5)
    case(f"prelu_{axes.replace(',', '_')}", f"shared_axes={axes}", keras_prelu, {"x": x, "alpha": alpha},
         ["x", "alpha"])

x = values((2, 3, 4), 0.8, 3.0)
for axis in [-1, 1, 2, -2, 0]:
    case(f"softmax_axis_{axis}", f"axis={axis}", lambda t: F.softmax(t, dim=axis), {"x": x}, ["x"])

# keras.layers.Softmax(axis)(x, mask): (x + (1 - m) * -1e9) softmaxed, times m. Row 2 is fully masked.
mask = (values((3, 5), 1.9) > -0.2).astype(np.float64)
mask[2] = 0.0
for axis in [-1, 0]:
    case(f"softmax_mask_axis_{axis}", f"axis={axis}",
         lambda t, m: F.softmax(t + (1.0 - m) * -1e9, dim=axis) * m,
         {"x": values((3, 5), 1.2, 3.0), "mask": mask}, ["x"])

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "activation_layers.txt"), "w") as f:
    f.write("# soma activation references: written by activation_layers.py from PyTorch (float64). Do not edit.\n")
    f.write("# case NAME | options ... | tensor NAME rank dims... values... | end\n")
    for name, options, tensors in cases:
        f.write(f"case {name}\noptions {options}\n")
        for tname, t in tensors.items():
            t = np.asarray(t)
            f.write(f"tensor {tname} {t.ndim} {' '.join(map(str, t.shape))} {' '.join(f'{v:.9g}' for v in t.ravel())}\n")
        f.write("end\n")
print(f"wrote {len(cases)} cases")
