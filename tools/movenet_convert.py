"""Convert MoveNet TF.js graph models to ONNX and compute TensorFlow reference keypoints.

Runs INSIDE the throwaway build environment that ``tools/build_movenet.py`` creates (pinned
TensorFlow, tf2onnx, onnx, onnxruntime); posecheck itself never imports this module and CI
does not need TensorFlow. Invoked as::

    python tools/movenet_convert.py MODEL.json OUT.onnx REF.json CROP.png [CROP.png ...]

Steps:

1. The TF.js ``modelTopology`` is a GraphDef in protobuf-JSON form. Its Const nodes get their
   tensors from the weight manifest (``.bin``); the float weights are stored as float16 and
   are dequantised to float32 (exactly: every float16 is a float32).
2. The TF.js-only fused ops are rewritten into standard TensorFlow ops:
   ``_FusedConv2D`` -> Conv2D + BiasAdd [+ Relu/Relu6] and ``FusedDepthwiseConv2dNative`` ->
   DepthwiseConv2dNative + BiasAdd [+ Relu/Relu6]; the last op keeps the fused node's name so
   every consumer still finds it.
3. TensorFlow (float32) runs the graph on each crop: those keypoints are the reference.
4. tf2onnx (opset 17) converts the graph. Every float initializer whose values are exactly
   representable in float16 (all network weights, since they came from float16) is stored as
   float16 followed by a Cast to float32, which halves the file without changing a single
   weight; ONNX Runtime folds the Casts when it loads the model.
5. The file is made deterministic: fixed producer fields and doc strings, nodes and
   initializers in a canonical order.
6. ONNX Runtime runs the stored file on the crops and its keypoints are compared with
   TensorFlow's; the differences are written to REF.json with the reference.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np

FUSED = {"_FusedConv2D": "Conv2D", "FusedDepthwiseConv2dNative": "DepthwiseConv2dNative"}
KEEP_ATTRS = {
    "Conv2D": ("T", "strides", "padding", "explicit_paddings", "data_format", "dilations",
               "use_cudnn_on_gpu"),
    "DepthwiseConv2dNative": ("T", "strides", "padding", "explicit_paddings", "data_format",
                              "dilations"),
}
ACTIVATIONS = {"Relu", "Relu6"}
INPUT, OUTPUT = "input:0", "Identity:0"
OPSET = 17
#: the build fails if ONNX Runtime and TensorFlow differ by more (crop pixels / score)
MAX_PX = 1e-3
MAX_SCORE = 1e-4


def load_graph_def(model_json: Path):
    """GraphDef of a TF.js graph model with weights filled in and fused ops rewritten."""
    import tensorflow as tf
    from google.protobuf import json_format

    spec = json.loads(model_json.read_text())
    graph_def = json_format.ParseDict(spec["modelTopology"], tf.compat.v1.GraphDef())
    weights: dict[str, np.ndarray] = {}
    for group in spec["weightsManifest"]:
        blob = b"".join((model_json.parent / p).read_bytes() for p in group["paths"])
        offset = 0
        for w in group["weights"]:
            shape = [int(s) for s in w["shape"]]
            stored = np.dtype((w.get("quantization") or {}).get("dtype", w["dtype"]))
            n = int(np.prod(shape)) if shape else 1
            arr = np.frombuffer(blob, dtype=stored, count=n, offset=offset).reshape(shape)
            offset += n * stored.itemsize
            weights[w["name"]] = arr.astype(np.dtype(w["dtype"]))  # float16 -> float32 exactly
        if offset != len(blob):
            raise ValueError(f"weight manifest covers {offset} of {len(blob)} bytes")
    nodes = []
    for node in graph_def.node:
        if node.op == "Const" and node.name in weights:
            node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(weights.pop(node.name)))
        if node.op in FUSED:
            nodes += _unfuse(node)
        else:
            nodes.append(node)
    if weights:
        raise ValueError(f"weights without a Const node: {sorted(weights)[:3]}")
    del graph_def.node[:]
    graph_def.node.extend(nodes)
    return graph_def


def _unfuse(node):
    import tensorflow as tf

    fused_ops = [s.decode() for s in node.attr["fused_ops"].list.s]
    if fused_ops[0] != "BiasAdd" or len(fused_ops) > 2 or node.attr["num_args"].i != 1:
        raise ValueError(f"{node.name}: unsupported fused_ops {fused_ops}")
    activation = fused_ops[1] if len(fused_ops) == 2 else None
    if activation is not None and activation not in ACTIVATIONS:
        raise ValueError(f"{node.name}: unsupported activation {activation}")
    base = FUSED[node.op]
    conv = tf.compat.v1.NodeDef(name=f"{node.name}/{base}", op=base,
                                input=list(node.input[:2]), device=node.device)
    for key in KEEP_ATTRS[base]:
        if key in node.attr:
            conv.attr[key].CopyFrom(node.attr[key])
    bias_name = f"{node.name}/BiasAdd" if activation else node.name
    bias = tf.compat.v1.NodeDef(name=bias_name, op="BiasAdd", input=[conv.name, node.input[2]],
                                device=node.device)
    bias.attr["T"].CopyFrom(node.attr["T"])
    bias.attr["data_format"].CopyFrom(node.attr["data_format"])
    out = [conv, bias]
    if activation:
        act = tf.compat.v1.NodeDef(name=node.name, op=activation, input=[bias_name],
                                   device=node.device)
        act.attr["T"].CopyFrom(node.attr["T"])
        out.append(act)
    return out


def run_tensorflow(graph_def, crops: list[np.ndarray]) -> np.ndarray:
    """(n_crops, 17, 3) [y, x, score] from TensorFlow (float32) on int32 NHWC crops."""
    import tensorflow as tf

    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(graph_def, name="")
    with tf.compat.v1.Session(graph=graph) as sess:
        return np.stack([sess.run(OUTPUT, {INPUT: c[None].astype(np.int32)})[0, 0] for c in crops])


def _half_initializers(model) -> int:
    """Store float32 initializers that are exact in float16 as float16 + Cast; return the count."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    casts, kept, n = [], [], 0
    for init in graph.initializer:
        arr = numpy_helper.to_array(init)
        if (init.data_type == TensorProto.FLOAT and arr.size > 1
                and np.array_equal(arr.astype(np.float16).astype(np.float32), arr)):
            half = numpy_helper.from_array(arr.astype(np.float16), f"{init.name}__fp16")
            kept.append(half)
            casts.append(helper.make_node("Cast", [half.name], [init.name], name=f"{init.name}__cast",
                                          to=TensorProto.FLOAT))
            n += 1
        else:
            kept.append(init)
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(casts + nodes)
    onnx.checker.check_model(model)
    return n


def _digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()


def _canonical_graph(graph) -> None:
    """Rename, deduplicate and order nodes and initializers by what they compute.

    tf2onnx names the tensors it creates from a process-wide counter whose order varies from
    run to run. Here every tensor gets a structural key (a hash of its initializer's bytes,
    or of the producing node's op, attributes and input keys); nodes and initializers with
    equal keys compute the same thing and are merged; nodes are ordered topologically with
    ties broken by key; names are then given in that order (graph inputs and outputs keep
    theirs). The same graph thus always serialises to the same bytes.
    """
    import heapq

    from onnx import TensorProto

    keys: dict[str, str] = {"": ""}
    for value in graph.input:
        keys[value.name] = "input:" + value.name
    inits: dict[str, TensorProto] = {}
    for t in graph.initializer:
        anon = TensorProto()
        anon.CopyFrom(t)
        anon.name = ""
        keys[t.name] = _digest("init", anon.SerializeToString())
        inits.setdefault(keys[t.name], anon)
    nodes: dict[str, object] = {}
    deps: dict[str, set[str]] = {}
    for node in graph.node:  # already topologically sorted (the checker requires it)
        attrs = [a.SerializeToString() for a in sorted(node.attribute, key=lambda a: a.name)]
        key = _digest(node.domain, node.op_type, *attrs, "|", *(keys[i] for i in node.input))
        for j, out in enumerate(node.output):
            keys[out] = f"{key}:{j}"
        if key not in nodes:
            nodes[key] = node
            deps[key] = {keys[i].rsplit(":", 1)[0] for i in node.input} & set(nodes)
    users: dict[str, list[str]] = {k: [] for k in nodes}
    for key, ds in deps.items():
        for d in ds:
            users[d].append(key)
    waiting = {k: len(ds) for k, ds in deps.items()}
    ready = [k for k, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        key = heapq.heappop(ready)
        order.append(key)
        for u in users[key]:
            waiting[u] -= 1
            if waiting[u] == 0:
                heapq.heappush(ready, u)
    if len(order) != len(nodes):
        raise ValueError("graph has a cycle")
    names: dict[str, str] = {keys[v.name]: v.name for v in (*graph.input, *graph.output)}
    names[""] = ""
    new_inits: list = []
    new_nodes: list = []
    for i, key in enumerate(order):
        node = nodes[key]
        for inp in node.input:
            k = keys[inp]
            if k in inits and k not in names:
                names[k] = f"c{len(new_inits)}"
                t = TensorProto()
                t.CopyFrom(inits[k])
                t.name = names[k]
                new_inits.append(t)
        node.name = f"{node.op_type}_{i}"
        for j, out in enumerate(node.output):
            names.setdefault(keys[out], node.name if len(node.output) == 1 else f"{node.name}:{j}")
        node.input[:] = [names[keys[inp]] for inp in node.input]
        node.output[:] = [names[keys[out]] for out in node.output]
        node.doc_string = ""
        new_nodes.append(node)
    del graph.node[:]
    graph.node.extend(new_nodes)
    del graph.initializer[:]
    graph.initializer.extend(new_inits)
    del graph.value_info[:]  # shape annotations; ONNX Runtime infers them


def _canonicalise(model, name: str) -> None:
    """Fix every field that could vary between builds."""
    model.producer_name = "posecheck tools/build_movenet.py"
    model.producer_version = "1"
    model.doc_string = f"MoveNet {name}; see posecheck/pose/model_files/NOTICE"
    model.graph.name = f"movenet_{name}"
    model.graph.doc_string = ""
    del model.metadata_props[:]
    _canonical_graph(model.graph)


def convert(graph_def, name: str):
    import onnx
    import tf2onnx

    model, _ = tf2onnx.convert.from_graph_def(graph_def, name=name, input_names=[INPUT],
                                              output_names=[OUTPUT], opset=OPSET)
    n_half = _half_initializers(model)
    _canonicalise(model, name)
    onnx.checker.check_model(model)
    return model, n_half


def run_onnxruntime(path: Path, crops: list[np.ndarray]) -> np.ndarray:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0].name
    return np.stack([sess.run(None, {inp: c[None].astype(np.int32)})[0][0, 0] for c in crops])


def main(argv: list[str]) -> int:
    import tensorflow as tf

    model_json, out_onnx, ref_json = Path(argv[0]), Path(argv[1]), Path(argv[2])
    crop_paths = [Path(p) for p in argv[3:]]
    crops = [tf.io.decode_png(p.read_bytes(), channels=3).numpy() for p in crop_paths]
    name = model_json.stem.removeprefix("movenet-")
    graph_def = load_graph_def(model_json)
    tf_out = run_tensorflow(graph_def, crops)
    model, n_half = convert(graph_def, name)
    out_onnx.write_bytes(model.SerializeToString())
    ort_out = run_onnxruntime(out_onnx, crops)
    size = crops[0].shape[0]
    diff = np.abs(ort_out - tf_out)
    report = {
        "variant": name,
        "input_size": size,
        "crops": [p.name for p in crop_paths],
        "tensorflow_yx_score": np.round(tf_out.astype(np.float64), 7).tolist(),
        "onnx_vs_tensorflow_max_px": float(diff[..., :2].max() * size),
        "onnx_vs_tensorflow_max_score": float(diff[..., 2].max()),
        "float16_initializers": n_half,
    }
    ref_json.write_text(json.dumps(report, indent=1) + "\n")
    if report["onnx_vs_tensorflow_max_px"] > MAX_PX or report["onnx_vs_tensorflow_max_score"] > MAX_SCORE:
        raise SystemExit(f"{name}: ONNX disagrees with TensorFlow beyond {MAX_PX} px / {MAX_SCORE} score")
    print(f"{name}: {n_half} float16 initializers, ONNX vs TF max {report['onnx_vs_tensorflow_max_px']:.2e} px, "
          f"score {report['onnx_vs_tensorflow_max_score']:.2e}", flush=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    raise SystemExit(main(sys.argv[1:]))
