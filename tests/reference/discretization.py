#!/usr/bin/python3
"""Reference boundaries for soma's Discretization.adapt (tests/layers/categorical_test.cpp), from NumPy.

Keras 3's algorithm (keras/src/layers/preprocessing/discretization.py, summarize / compress_summary /
get_bin_boundaries) written with NumPy's sort, arange, cumsum and interp in the dtypes Keras uses (float32
data and summary, float64 percents), and the bins of the data under those boundaries by np.digitize.

Run with the Debian interpreter:  /usr/bin/python3 tests/reference/discretization.py
"""
import os

import numpy as np


def summarize(values, epsilon):
    values = np.sort(np.reshape(values, [-1]))
    elements = np.size(values)
    num_buckets = 1.0 / epsilon
    increment = elements / num_buckets
    start = increment
    step = max(increment, 1)
    boundaries = values[int(start)::int(step)]
    weights = np.ones_like(boundaries) * step
    return np.stack([boundaries, weights])


def compress_summary(summary, epsilon):
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum_weights = summary[1].cumsum()
    cum_weight_percents = cum_weights / cum_weights[-1]
    new_bins = np.interp(percents, cum_weight_percents, summary[0])
    cum_weights = np.interp(percents, cum_weight_percents, cum_weights)
    new_weights = cum_weights - np.concatenate((np.array([0]), cum_weights[:-1]))
    return np.stack((new_bins, new_weights)).astype("float32")


cases = []


def case(name, data, num_bins, epsilon=0.01):
    data = np.asarray(data).astype("float32")
    boundaries = compress_summary(summarize(data, epsilon), 1.0 / num_bins)[0, :-1]
    bins = np.digitize(data, boundaries)
    cases.append((name, {"x": data}, {"boundaries": boundaries, "bins": bins.astype(np.float64)},
                  f"num_bins={num_bins} epsilon={epsilon!r}"))


rng = np.random.default_rng(0)
case("keras_docs", [[-1.5, 1.0, 3.4, 0.5], [0.0, 3.0, 1.3, 0.0]], 4)
case("normal_1000", rng.normal(size=(250, 4)), 5)
case("uniform_777_three_bins", rng.uniform(-3, 7, size=(777,)), 3)
case("skewed_coarse_epsilon", rng.exponential(size=(100, 3)), 7, epsilon=0.05)
case("few_values_many_bins", [[1.0], [2.0], [2.0], [5.0]], 10)

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "discretization.txt"), "w") as f:
    f.write("# soma Discretization references: written by discretization.py from NumPy. Do not edit.\n")
    f.write("# case NAME | options ... | tensor NAME rank dims... values... | end\n")
    for name, inputs, outputs, options in cases:
        f.write(f"case {name}\noptions {options}\n")
        for tname, t in list(inputs.items()) + list(outputs.items()):
            t = np.asarray(t)
            f.write(f"tensor {tname} {t.ndim} {' '.join(map(str, t.shape))} {' '.join(f'{v:.9g}' for v in t.ravel())}\n")
        f.write("end\n")
print(f"wrote {len(cases)} cases")
