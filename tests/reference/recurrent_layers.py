#!/usr/bin/python3
"""Reference outputs for soma's recurrent layers (tests/layers/recurrent_test.cpp), from PyTorch.

soma follows Keras: kernel (features, G*units), recurrent_kernel (units, G*units), LSTM gates i, f, c, o,
GRU gates z, r, h with reset_after (bias (2, 3*units): input row, recurrent row). PyTorch stores the
transposes, orders the GRU gates r, z, n, and keeps separate input and hidden biases; this script maps
Keras-layout weights onto torch.nn.LSTM / GRU / RNN and writes inputs, weights and outputs (all steps and
final states) to recurrent_layers.txt. go_backwards is the sequence flipped in time before the layer.

Run with the Debian interpreter:  /usr/bin/python3 tests/reference/recurrent_layers.py
"""
import os

import numpy as np
import torch

torch.set_default_dtype(torch.float64)


def values(shape, seed, scale=0.6):
    n = int(np.prod(shape))
    return np.sin(0.61 * np.arange(n) + seed).reshape(shape) * scale


def gru_torch_order(w, u):  # Keras z, r, h blocks along the last axis -> PyTorch r, z, n
    return np.concatenate([w[..., u:2 * u], w[..., :u], w[..., 2 * u:]], axis=-1)


cases = []
N, T, F, U = 2, 5, 3, 4

for cell, gates in (("lstm", 4), ("gru", 3), ("simple_rnn", 1)):
    for go_backwards in (False, True):
        x = values((N, T, F), 0.1 + gates)
        kernel = values((F, gates * U), 0.2 + gates)
        recurrent = values((U, gates * U), 0.3 + gates)
        bias = values((2, gates * U) if cell == "gru" else (gates * U,), 0.4 + gates, 0.3)
        xs = torch.from_numpy(x[:, ::-1].copy() if go_backwards else x)
        if cell == "lstm":
            m = torch.nn.LSTM(F, U, batch_first=True)
            w_ih, w_hh, b_ih, b_hh = kernel.T, recurrent.T, bias, np.zeros_like(bias)
        elif cell == "gru":
            m = torch.nn.GRU(F, U, batch_first=True)
            w_ih, w_hh = gru_torch_order(kernel, U).T, gru_torch_order(recurrent, U).T
            b_ih, b_hh = gru_torch_order(bias[0], U), gru_torch_order(bias[1], U)
        else:
            m = torch.nn.RNN(F, U, batch_first=True, nonlinearity="tanh")
            w_ih, w_hh, b_ih, b_hh = kernel.T, recurrent.T, bias, np.zeros_like(bias)
        with torch.no_grad():
            m.weight_ih_l0.copy_(torch.from_numpy(np.ascontiguousarray(w_ih)))
            m.weight_hh_l0.copy_(torch.from_numpy(np.ascontiguousarray(w_hh)))
            m.bias_ih_l0.copy_(torch.from_numpy(np.ascontiguousarray(b_ih)))
            m.bias_hh_l0.copy_(torch.from_numpy(np.ascontiguousarray(b_hh)))
            result = m(xs)
        seq = result[0].numpy()
        states = result[1]
        h = (states[0] if cell == "lstm" else states)[0].numpy()
        tensors = {"x": x, "kernel": kernel, "recurrent_kernel": recurrent, "bias": bias, "sequences": seq, "state_h": h}
        if cell == "lstm":
            tensors["state_c"] = states[1][0].numpy()
        cases.append((f"{cell}{'_backwards' if go_backwards else ''}", f"cell={cell} units={U} go_backwards={int(go_backwards)}", tensors))

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "recurrent_layers.txt"), "w") as f:
    f.write("# soma recurrent layer references: written by recurrent_layers.py from PyTorch (float64). Do not edit.\n")
    f.write("# case NAME | options ... | tensor NAME rank dims... values... | end\n")
    for name, options, tensors in cases:
        f.write(f"case {name}\noptions {options}\n")
        for tname, t in tensors.items():
            t = np.asarray(t)
            f.write(f"tensor {tname} {t.ndim} {' '.join(map(str, t.shape))} {' '.join(f'{v:.9g}' for v in t.ravel())}\n")
        f.write("end\n")
print(f"wrote {len(cases)} cases")
