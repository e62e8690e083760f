#!/usr/bin/env python3
"""Keras HDF5 model files in the layout Keras 2's model.save writes (keras/saving/hdf5_format.py), made
from the tfjs reference models (tests/reference/tfjs_models/, the same Keras 2 topology and weights), so
their predictions must equal tfjs' (tests/reference/tfjs_models.txt):

  /                    attrs keras_version, backend, model_config (JSON), training_config (JSON)
  /model_weights       attrs layer_names (fixed-length bytes), keras_version, backend
  /model_weights/<l>   attr weight_names ("<l>/kernel:0", ...; a nested model lists its layers' weights)
  /model_weights/<l>/<weight name>   the dataset

The Keras 3 variant (keras_version 3.x, the legacy writer) names weights without ":0". Run with Debian's
python3-h5py:  /usr/bin/python3 tests/reference/keras_h5.py
"""
import json
import os

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = {"dense_mlp": "2.4.0", "conv_net": "2.13.1", "recurrent": "2.2.4", "bidirectional": "2.4.0",
         "functional": "2.4.0", "nested": "2.4.0", "conv_net_keras3": "3.3.3"}


def owner_map(config):
    """Maps every layer name (nested ones included) to its top-level layer."""
    owners = {}
    for layer in config["config"]["layers"]:
        name = layer.get("name") or layer["config"]["name"]
        owners[name] = name
        if layer["class_name"] in ("Sequential", "Functional", "Model"):
            for inner in layer["config"]["layers"]:
                owners[inner.get("name") or inner["config"]["name"]] = name
    return owners


def write(case, version):
    base = case.replace("_keras3", "")
    src = os.path.join(HERE, "tfjs_models", base)
    meta = json.load(open(os.path.join(src, "model.json")))
    data = open(os.path.join(src, "weights.bin"), "rb").read()
    topology = meta["modelTopology"]
    model_config = {"class_name": topology["class_name"], "config": topology["config"]}
    owners = owner_map(model_config)
    # tfjs numbers a nested model's own construction as node 0; Keras 2 writes the outer calls from 0.
    nested = {l["name"] for l in model_config["config"]["layers"] if l["class_name"] in ("Sequential", "Functional")}
    for layer in model_config["config"]["layers"]:
        for node in layer.get("inbound_nodes", []):
            for ref in node:
                if ref[0] in nested:
                    ref[1] -= 1
    per_layer = {}
    offset = 0
    for spec in meta["weightsManifest"][0]["weights"]:
        n = int(np.prod(spec["shape"])) if spec["shape"] else 1
        values = np.frombuffer(data, dtype="<f4" if spec["dtype"] == "float32" else "<i4", count=n, offset=offset)
        offset += 4 * n
        if spec.get("group") == "optimizer":
            continue
        layer = spec["name"].split("/")[0]
        per_layer.setdefault(owners[layer], []).append((spec["name"], values.reshape(spec["shape"])))
    suffix = "" if version.startswith("3") else ":0"
    path = os.path.join(HERE, "keras_h5", case + ".h5")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = version.encode()
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps(model_config).encode()
        if "trainingConfig" in meta:
            t = meta["trainingConfig"]
            c = t["optimizer_config"]["config"]
            f.attrs["training_config"] = json.dumps({
                "optimizer_config": {"class_name": "Adam", "config": {
                    "lr": c["learningRate"], "beta_1": c["beta1"], "beta_2": c["beta2"], "decay": 0.0,
                    "epsilon": c["epsilon"], "amsgrad": False}},
                "loss": t["loss"], "metrics": t["metrics"], "loss_weights": None,
                "sample_weight_mode": None}).encode()
        g = f.create_group("model_weights")
        names = [l.get("name") or l["config"]["name"] for l in model_config["config"]["layers"]]
        g.attrs["layer_names"] = np.array([n.encode() for n in names])
        g.attrs["backend"] = b"tensorflow"
        g.attrs["keras_version"] = version.encode()
        for name in names:
            lg = g.create_group(name)
            weights = per_layer.get(name, [])
            lg.attrs["weight_names"] = np.array([(w + suffix).encode() for w, _ in weights], dtype="S")
            for w, v in weights:
                lg.create_dataset(w + suffix, data=v)
    print("wrote", path)


for case, version in CASES.items():
    write(case, version)
