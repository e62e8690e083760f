#!/usr/bin/env python3
"""Keras 3 .keras files (zip: config.json, metadata.json, model.weights.h5) in the layout of
keras/src/saving/saving_lib.py, made from tfjs reference models (tests/reference/tfjs_models/) whose
layers compute the same in Keras 2 and 3, so tfjs' predictions (tests/reference/tfjs_models.txt) are
the reference. The config is written in Keras 3's dialect (module/registered_name, DTypePolicy objects,
batch_shape, inbound_nodes as {args, kwargs} with __keras_tensor__ histories, x + y as a
keras.src.ops.numpy.Add operation node); the weights under layers/<snake_case class>[_k]/vars/<i>.
No Keras is installable here (it is not in Debian), so the layout follows Keras' source.
Run with Debian's python3-h5py:  /usr/bin/python3 tests/reference/keras_zip.py
"""
import io
import json
import os
import re
import zipfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = ["conv_net", "conv1d_global", "functional", "nested"]


def snake(name):  # keras naming.to_snake_case
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def policy():
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}


def keras3_object(v):
    """Keras 2 {"class_name", "config"} objects (initializers, regularizers) as Keras 3 writes them."""
    if isinstance(v, dict) and "class_name" in v and "config" in v:
        return {"module": "keras.initializers", "class_name": v["class_name"], "config": v["config"],
                "registered_name": None}
    return v


def layer_config(cfg):
    out = {k: keras3_object(v) for k, v in cfg.items() if k not in ("batch_input_shape",)}
    out["dtype"] = policy()
    out.setdefault("trainable", True)
    return out


def tensor(history, shape=None):
    return {"class_name": "__keras_tensor__", "config": {"shape": shape, "dtype": "float32",
                                                          "keras_history": history}}


def sequential(cfg, input_name="input_layer"):
    layers = cfg["layers"]
    batch = layers[0]["config"]["batch_input_shape"]
    out = [{"module": "keras.layers", "class_name": "InputLayer",
            "config": {"batch_shape": batch, "dtype": "float32", "sparse": False, "name": input_name},
            "registered_name": None}]
    for l in layers:
        out.append({"module": "keras.layers", "class_name": l["class_name"], "config": layer_config(l["config"]),
                    "registered_name": None, "build_config": {"input_shape": None}})
    return {"module": "keras", "class_name": "Sequential",
            "config": {"name": cfg["name"], "trainable": True, "dtype": policy(), "layers": out},
            "registered_name": None, "build_config": {"input_shape": batch}}


def functional(cfg):
    nested = {l["name"] for l in cfg["layers"] if l["class_name"] in ("Sequential", "Functional")}
    out = []
    for l in cfg["layers"]:
        if l["class_name"] == "InputLayer":
            c = l["config"]
            out.append({"module": "keras.layers", "class_name": "InputLayer", "name": l["name"],
                        "config": {"batch_shape": c["batch_input_shape"], "dtype": "float32", "sparse": False,
                                   "name": c["name"]}, "registered_name": None, "inbound_nodes": []})
            continue
        nodes = []
        for node in l["inbound_nodes"]:
            refs = [tensor([r[0], r[1] - (1 if r[0] in nested else 0), r[2]]) for r in node]
            nodes.append({"args": [refs] if len(refs) > 1 else refs, "kwargs": {}})
        if l["class_name"] in ("Sequential", "Functional"):
            entry = sequential(l["config"], input_name=l["name"] + "_input")
            entry.update({"name": l["name"], "inbound_nodes": nodes})
        elif l["class_name"] == "Add":  # x + y: an operation node with two positional tensors
            entry = {"module": "keras.src.ops.numpy", "class_name": "Add", "config": {"name": l["name"]},
                     "registered_name": "Add", "name": l["name"],
                     "inbound_nodes": [{"args": nodes[0]["args"][0], "kwargs": {}}]}
        else:
            entry = {"module": "keras.layers", "class_name": l["class_name"], "config": layer_config(l["config"]),
                     "registered_name": None, "build_config": {"input_shape": None}, "name": l["name"],
                     "inbound_nodes": nodes}
        out.append(entry)
    hist = lambda r: [r[0], r[1] - (1 if r[0] in nested else 0), r[2]]
    ins = [hist(r) for r in cfg["input_layers"]]
    outs = [hist(r) for r in cfg["output_layers"]]
    return {"module": "keras.src.models.functional", "class_name": "Functional",
            "config": {"name": cfg["name"], "trainable": True, "layers": out,
                       "input_layers": ins if len(ins) > 1 else ins[0],
                       "output_layers": outs if len(outs) > 1 else outs[0]},
            "registered_name": "Functional", "build_config": {"input_shape": None}}


def weights_of(meta, data):
    per_layer, offset = {}, 0
    for spec in meta["weightsManifest"][0]["weights"]:
        n = int(np.prod(spec["shape"])) if spec["shape"] else 1
        v = np.frombuffer(data, dtype="<f4", count=n, offset=offset).reshape(spec["shape"])
        offset += 4 * n
        if spec.get("group") != "optimizer":
            per_layer.setdefault(spec["name"].split("/")[0], []).append(v)
    return per_layer


def put_layers(group, layer_specs, per_layer):
    used = {}
    for l in layer_specs:
        key = snake(l["class_name"])
        used[key] = used.get(key, -1) + 1
        if used[key]:
            key += "_" + str(used[key])
        g = group.create_group(key)
        if l["class_name"] in ("Sequential", "Functional"):
            put_layers(g.create_group("layers"), l["config"]["layers"], per_layer)
            g.create_group("vars")
            continue
        v = g.create_group("vars")
        name = l.get("name") or l["config"]["name"]
        for i, w in enumerate(per_layer.get(name, [])):
            v.create_dataset(str(i), data=w)


def write(case):
    src = os.path.join(HERE, "tfjs_models", case)
    meta = json.load(open(os.path.join(src, "model.json")))
    topology = meta["modelTopology"]
    config = (sequential(topology["config"]) if topology["class_name"] == "Sequential"
              else functional(topology["config"]))
    per_layer = weights_of(meta, open(os.path.join(src, "weights.bin"), "rb").read())
    h5 = io.BytesIO()
    with h5py.File(h5, "w") as f:
        put_layers(f.create_group("layers"), topology["config"]["layers"], per_layer)
        f.create_group("vars")
    path = os.path.join(HERE, "keras_zip", case + ".keras")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.6.0", "date_saved": "2026-12-08@00:00:00"}))
        z.writestr("config.json", json.dumps(config))
        z.writestr("model.weights.h5", h5.getvalue())
    print("wrote", path)


for c in CASES:
    write(c)
