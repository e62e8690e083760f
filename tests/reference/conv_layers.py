#!/usr/bin/python3
"""Reference outputs for soma's convolutional layers (tests/layers/conv_reference_test.cpp), from PyTorch.

Keras is channels-last with kernels stored (kh, kw, in, out) and TensorFlow's "same" padding (the odd
padding pixel goes after); PyTorch is channels-first with (out, in, kh, kw) kernels and symmetric padding.
This script converts between the two conventions explicitly (permutes, F.pad with TensorFlow's split),
computes each case in float64 and writes inputs and expected outputs to conv_layers.txt next to it.

Run with the Debian interpreter:  /usr/bin/python3 tests/reference/conv_layers.py
"""
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def values(shape, seed):
    n = int(np.prod(shape))
    return np.sin(0.37 * np.arange(n) + seed).reshape(shape) * 0.8


def tf_same(n, k, stride, dilation=1):
    out = math.ceil(n / stride)
    total = max(0, (out - 1) * stride + (k - 1) * dilation + 1 - n)
    return total // 2, total - total // 2


def nhwc_to_nchw(x):
    return torch.from_numpy(x).permute(0, 3, 1, 2)


def nchw_to_nhwc(y):
    return y.permute(0, 2, 3, 1).numpy()


def conv2d(x, k, b, stride, padding, dilation, relu):
    xt = nhwc_to_nchw(x)
    if padding == "same":
        pt, pb = tf_same(x.shape[1], k.shape[0], stride[0], dilation[0])
        pl, pr = tf_same(x.shape[2], k.shape[1], stride[1], dilation[1])
        xt = F.pad(xt, (pl, pr, pt, pb))
    w = torch.from_numpy(k).permute(3, 2, 0, 1)  # hwio -> oihw
    y = F.conv2d(xt, w, torch.from_numpy(b) if b is not None else None, stride=stride, dilation=dilation)
    if relu:
        y = F.relu(y)
    return nchw_to_nhwc(y)


def pool2d(x, pool, stride, padding, kind):
    xt = nhwc_to_nchw(x)
    pt = pb = pl = pr = 0
    if padding == "same":
        pt, pb = tf_same(x.shape[1], pool[0], stride[0])
        pl, pr = tf_same(x.shape[2], pool[1], stride[1])
    if kind == "max":
        y = F.max_pool2d(F.pad(xt, (pl, pr, pt, pb), value=-math.inf), pool, stride)
    else:  # TensorFlow averages over the window's elements inside the input
        sums = F.avg_pool2d(F.pad(xt, (pl, pr, pt, pb)), pool, stride) * (pool[0] * pool[1])
        counts = F.avg_pool2d(F.pad(torch.ones_like(xt), (pl, pr, pt, pb)), pool, stride) * (pool[0] * pool[1])
        y = sums / counts
    return nchw_to_nhwc(y)


cases = []


def case(name, inputs, outputs, options):
    cases.append((name, inputs, outputs, options))


x = values((2, 5, 6, 3), 0.1)
k = values((3, 3, 3, 4), 0.2)
b = values((4,), 0.3)
case("conv2d_valid_relu", {"x": x, "kernel": k, "bias": b},
     {"y": conv2d(x, k, b, (1, 1), "valid", (1, 1), True)}, "filters=4 kernel=3,3 strides=1,1 padding=valid dilation=1,1 activation=relu")

x = values((1, 6, 7, 2), 0.4)
k = values((3, 2, 2, 3), 0.5)
b = values((3,), 0.6)
case("conv2d_same_strided", {"x": x, "kernel": k, "bias": b},
     {"y": conv2d(x, k, b, (2, 2), "same", (1, 1), False)}, "filters=3 kernel=3,2 strides=2,2 padding=same dilation=1,1 activation=linear")

x = values((1, 7, 7, 2), 0.7)
k = values((3, 3, 2, 2), 0.8)
b = values((2,), 0.9)
case("conv2d_dilated", {"x": x, "kernel": k, "bias": b},
     {"y": conv2d(x, k, b, (1, 1), "valid", (2, 2), False)}, "filters=2 kernel=3,3 strides=1,1 padding=valid dilation=2,2 activation=linear")

x = values((2, 9, 3), 1.0)
k = values((3, 3, 4), 1.1)
b = values((4,), 1.2)
y = conv2d(x[:, None], k[None], b, (1, 2), "same", (1, 1), False)[:, 0]
case("conv1d_same_strided", {"x": x, "kernel": k, "bias": b}, {"y": y},
     "filters=4 kernel=3 strides=2 padding=same dilation=1 activation=linear")

x = values((1, 5, 5, 2), 1.3)
case("maxpool_same", {"x": x}, {"y": pool2d(x, (2, 2), (2, 2), "same", "max")}, "pool=2,2 strides=2,2 padding=same kind=max")
x = values((1, 7, 5, 2), 1.4)
case("avgpool_same", {"x": x}, {"y": pool2d(x, (3, 3), (2, 2), "same", "avg")}, "pool=3,3 strides=2,2 padding=same kind=avg")
x = values((2, 6, 6, 3), 1.5)
case("avgpool_valid", {"x": x}, {"y": pool2d(x, (2, 2), (2, 2), "valid", "avg")}, "pool=2,2 strides=2,2 padding=valid kind=avg")

# BatchNormalization in training mode: PyTorch's batch_norm normalises with the biased variance, as Keras
# does; Keras 3 also updates the moving variance with the biased one (PyTorch would use the unbiased).
x = values((4, 3), 1.6) * 3 + 1
gamma, beta = values((3,), 1.7) + 1, values((3,), 1.8)
y = F.batch_norm(torch.from_numpy(x), None, None, torch.from_numpy(gamma), torch.from_numpy(beta), training=True,
                 eps=1e-3).numpy()
mean, var = x.mean(0), x.var(0)
case("batchnorm_training", {"x": x, "gamma": gamma, "beta": beta},
     {"y": y, "moving_mean": 0.99 * 0 + 0.01 * mean, "moving_variance": 0.99 * 1 + 0.01 * var},
     "momentum=0.99 epsilon=0.001")

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "conv_layers.txt"), "w") as f:
    f.write("# soma convolutional layer references: written by conv_layers.py from PyTorch (float64). Do not edit.\n")
    f.write("# case NAME | options ... | tensor NAME rank dims... values... | end\n")
    for name, inputs, outputs, options in cases:
        f.write(f"case {name}\noptions {options}\n")
        for tname, t in list(inputs.items()) + list(outputs.items()):
            t = np.asarray(t)
            f.write(f"tensor {tname} {t.ndim} {' '.join(map(str, t.shape))} {' '.join(f'{v:.9g}' for v in t.ravel())}\n")
        f.write("end\n")
print(f"wrote {len(cases)} cases")
