#!/usr/bin/python3
"""Reference values for data_format="channels_first" convolution and pooling and for the 1-D pooling
layers (tests/layers/pooling_reference_test.cpp), from PyTorch in float64: outputs and, for a fixed output
seed dy, the gradients of the input (and of the kernel and bias).

PyTorch is channels-first, the layout these layers take; kernels stay in Keras' (kh, kw, in, out) and
(k, in, out) layouts and are permuted here. Keras pads "same" as TensorFlow does (the odd pixel after) and
its average pooling divides by the window's elements inside the input; both are spelled out below.
GlobalAveragePooling1D with a mask follows keras.src.layers.pooling.global_average_pooling1d: sum(x * m) /
sum(m) over the steps; GlobalMaxPooling1D (Keras 3) ignores the mask.

Run with the Debian interpreter:  /usr/bin/python3 tests/reference/pooling_layers.py
"""
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def values(shape, seed, scale=0.8):
    n = int(np.prod(shape))
    return np.sin(0.37 * np.arange(n) + seed).reshape(shape) * scale


def tf_same(n, k, stride, dilation=1):
    out = math.ceil(n / stride)
    total = max(0, (out - 1) * stride + (k - 1) * dilation + 1 - n)
    return total // 2, total - total // 2


cases = []


def case(name, options, fn, inputs, grads, extra=None):
    ts = {k: torch.tensor(v, requires_grad=k in grads) for k, v in inputs.items()}
    y = fn(**ts)
    dy = torch.tensor(values(tuple(y.shape), 2.9, 1.0))
    (y * dy).sum().backward()
    out = dict(inputs)
    out.update(extra or {})
    out["dy"] = dy.numpy()
    out["y"] = y.detach().numpy()
    for k in grads:
        out["d" + k] = ts[k].grad.numpy()
    cases.append((name, options, out))


def conv2d_nchw(x, kernel, bias, stride, padding):
    if padding == "same":
        pt, pb = tf_same(x.shape[2], kernel.shape[0], stride[0])
        pl, pr = tf_same(x.shape[3], kernel.shape[1], stride[1])
        x = F.pad(x, (pl, pr, pt, pb))
    return F.conv2d(x, kernel.permute(3, 2, 0, 1), bias, stride=stride)


def conv1d_ncw(x, kernel, bias, stride, padding):
    if padding == "same":
        x = F.pad(x, tf_same(x.shape[2], kernel.shape[0], stride))
    return F.conv1d(x, kernel.permute(2, 1, 0), bias, stride=stride)


for padding, stride in [("valid", (1, 1)), ("same", (2, 1))]:
    case(f"conv2d_cf_{padding}", f"filters=4 kernel=3,2 strides={stride[0]},{stride[1]} padding={padding}",
         lambda x, kernel, bias: conv2d_nchw(x, kernel, bias, stride, padding),
         {"x": values((2, 3, 5, 6), 0.1), "kernel": values((3, 2, 3, 4), 0.2), "bias": values((4,), 0.3)},
         ["x", "kernel", "bias"])
for padding, stride in [("valid", 1), ("same", 2)]:
    case(f"conv1d_cf_{padding}", f"filters=4 kernel=3 strides={stride} padding={padding}",
         lambda x, kernel, bias: conv1d_ncw(x, kernel, bias, stride, padding),
         {"x": values((2, 3, 9), 0.4), "kernel": values((3, 3, 4), 0.5), "bias": values((4,), 0.6)},
         ["x", "kernel", "bias"])


def pool2d_nchw(x, pool, stride, padding, kind):
    pt = pb = pl = pr = 0
    if padding == "same":
        pt, pb = tf_same(x.shape[2], pool[0], stride[0])
        pl, pr = tf_same(x.shape[3], pool[1], stride[1])
    if kind == "max":
        return F.max_pool2d(F.pad(x, (pl, pr, pt, pb), value=-math.inf), pool, stride)
    sums = F.avg_pool2d(F.pad(x, (pl, pr, pt, pb)), pool, stride)
    counts = F.avg_pool2d(F.pad(torch.ones_like(x), (pl, pr, pt, pb)), pool, stride)
    return sums / counts


for kind in ["max", "avg"]:
    case(f"pool2d_cf_{kind}", f"kind={kind} pool=3,2 strides=2,2 padding=same",
         lambda x: pool2d_nchw(x, (3, 2), (2, 2), "same", kind), {"x": values((2, 3, 7, 5), 0.7)}, ["x"])


def pool1d(x, pool, stride, padding, kind, channels_first):
    xt = x if channels_first else x.permute(0, 2, 1)
    y = pool2d_nchw(xt.unsqueeze(2), (1, pool), (1, stride), padding, kind).squeeze(2)
    return y if channels_first else y.permute(0, 2, 1)


for kind in ["max", "avg"]:
    for fmt in ["channels_last", "channels_first"]:
        for padding, pool, stride in [("valid", 3, 2), ("same", 2, 2), ("same", 3, 1)]:
            shape = (2, 4, 7) if fmt == "channels_first" else (2, 7, 4)
            case(f"pool1d_{kind}_{fmt}_{padding}_{pool}_{stride}",
                 f"kind={kind} data_format={fmt} pool={pool} strides={stride} padding={padding}",
                 lambda x: pool1d(x, pool, stride, padding, kind, fmt == "channels_first"),
                 {"x": values(shape, 0.8 + pool)}, ["x"])

for kind in ["max", "avg"]:
    for keepdims in [False, True]:
        def global2d(x):
            y = torch.amax(x, dim=(2, 3), keepdim=keepdims) if kind == "max" else x.mean(dim=(2, 3), keepdim=keepdims)
            return y
        case(f"global2d_cf_{kind}_{keepdims}", f"kind={kind} data_format=channels_first keepdims={int(keepdims)}",
             global2d, {"x": values((2, 3, 4, 5), 0.9)}, ["x"])

mask = np.array([[1, 1, 1, 0, 0, 0], [1, 0, 1, 1, 1, 1]], dtype=np.float64)
for kind in ["max", "avg"]:
    for fmt in ["channels_last", "channels_first"]:
        for masked in [False, True]:
            for keepdims in [False, True]:
                steps = 2 if fmt == "channels_first" else 1

                def global1d(x):
                    if kind == "max":  # Keras 3: the mask plays no part
                        return torch.amax(x, dim=steps, keepdim=keepdims)
                    if not masked:
                        return x.mean(dim=steps, keepdim=keepdims)
                    m = torch.tensor(mask).unsqueeze(1 if fmt == "channels_first" else 2)
                    return (x * m).sum(dim=steps, keepdim=keepdims) / m.sum(dim=steps, keepdim=keepdims)
                shape = (2, 3, 6) if fmt == "channels_first" else (2, 6, 3)
                case(f"global1d_{kind}_{fmt}_{'mask' if masked else 'nomask'}_{int(keepdims)}",
                     f"kind={kind} data_format={fmt} masked={int(masked)} keepdims={int(keepdims)}",
                     global1d, {"x": values(shape, 1.1)}, ["x"], {"mask": mask} if masked else None)

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "pooling_layers.txt"), "w") as f:
    f.write("# soma channels_first / 1-D pooling references: written by pooling_layers.py from PyTorch (float64). "
            "Do not edit.\n")
    f.write("# case NAME | options ... | tensor NAME rank dims... values... | end\n")
    for name, options, tensors in cases:
        f.write(f"case {name}\noptions {options}\n")
        for tname, t in tensors.items():
            t = np.asarray(t)
            f.write(f"tensor {tname} {t.ndim} {' '.join(map(str, t.shape))} {' '.join(f'{v:.9g}' for v in t.ravel())}\n")
        f.write("end\n")
print(f"wrote {len(cases)} cases")
