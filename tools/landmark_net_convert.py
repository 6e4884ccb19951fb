"""Convert MediaPipe's pose landmark network (TFLite) to ONNX without its segmentation head.

Runs INSIDE the throwaway build environment of ``tools/build_movenet.py`` (pinned TensorFlow,
tf2onnx, onnx, onnxruntime: ``tools/movenet_build_requirements.txt``), started by
``tools/build_landmark_net.py``; posecheck never imports this module and CI does not need
TensorFlow. Invoked as::

    python tools/landmark_net_convert.py NET.tflite OUT.onnx REF.json NAME CROP.png [CROP.png ...]

Steps:

1. TensorFlow Lite (float32 kernels) runs the network on each 256x256 crop (RGB scaled to
   [0, 1], as MediaPipe feeds it): its outputs are the reference.
2. tf2onnx (opset 17) converts the TFLite graph.
3. The graph is cut to the outputs posecheck reads: ``Identity`` (39 x [x, y, z, visibility,
   presence], input pixels, logits), ``Identity_1`` (pose flag), ``Identity_3`` (64x64x39
   heatmap) and ``Identity_4`` (39 x 3 world landmarks). ``Identity_2``, the 256x256
   segmentation mask, is dropped: MediaPipe computes it on every call although posecheck
   never asks for it, and it is ~45 % of the network's time (measured, session 8).
4. Float initializers exact in float16 (all weights: the TFLite file stores them as float16)
   are stored as float16 + Cast, names and order made canonical (``movenet_convert``'s
   helpers): the same input always gives the same bytes.
5. ONNX Runtime runs the stored file on the crops; the differences from TFLite go to REF.json.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from movenet_convert import _canonical_graph, _half_initializers  # noqa: E402

OPSET = 17
INPUT = "input_1"
KEEP = ("Identity", "Identity_1", "Identity_3", "Identity_4")
#: the build fails if ONNX Runtime and TFLite differ by more (input pixels / logits)
MAX_PX = 5e-3
MAX_LOGIT = 5e-3


def load_crops(paths: list[Path]) -> list[np.ndarray]:
    import tensorflow as tf

    return [tf.io.decode_png(p.read_bytes(), channels=3).numpy().astype(np.float32) / 255.0 for p in paths]


def run_tflite(path: Path, crops: list[np.ndarray]) -> list[dict[str, np.ndarray]]:
    import tensorflow as tf

    interp = tf.lite.Interpreter(model_path=str(path), num_threads=1)
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]["index"]
    outs = {d["name"]: d["index"] for d in interp.get_output_details()}
    res = []
    for c in crops:
        interp.set_tensor(inp, c[None])
        interp.invoke()
        res.append({k: interp.get_tensor(outs[k]).copy() for k in KEEP})
    return res


def convert(tflite: Path, name: str):
    import onnx
    import tf2onnx
    from onnx.utils import Extractor

    model, _ = tf2onnx.convert.from_tflite(str(tflite), opset=OPSET)
    model = Extractor(model).extract_model([INPUT], list(KEEP))
    n_half = _half_initializers(model)
    model.producer_name = "posecheck tools/build_landmark_net.py"
    model.producer_version = "1"
    model.doc_string = f"MediaPipe pose landmark network ({name}), no segmentation; see posecheck/pose/model_files/NOTICE"
    model.graph.name = f"pose_landmarks_{name}"
    model.graph.doc_string = ""
    del model.metadata_props[:]
    _canonical_graph(model.graph)
    onnx.checker.check_model(model)
    return model, n_half


def run_onnxruntime(path: Path, crops: list[np.ndarray]) -> list[dict[str, np.ndarray]]:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    return [dict(zip(KEEP, sess.run(list(KEEP), {INPUT: c[None]}))) for c in crops]


def main(argv: list[str]) -> int:
    tflite, out_onnx, ref_json, name = Path(argv[0]), Path(argv[1]), Path(argv[2]), argv[3]
    crop_paths = [Path(p) for p in argv[4:]]
    crops = load_crops(crop_paths)
    ref = run_tflite(tflite, crops)
    model, n_half = convert(tflite, name)
    out_onnx.write_bytes(model.SerializeToString())
    got = run_onnxruntime(out_onnx, crops)
    lm_ref = np.stack([r["Identity"].reshape(39, 5) for r in ref])
    lm_got = np.stack([g["Identity"].reshape(39, 5) for g in got])
    diff = np.abs(lm_got - lm_ref)
    report = {
        "variant": name,
        "crops": [p.name for p in crop_paths],
        "tflite_landmarks": np.round(lm_ref.astype(np.float64), 5).tolist(),
        "tflite_flag": [float(r["Identity_1"].ravel()[0]) for r in ref],
        "onnx_vs_tflite_max_px": float(diff[..., :2].max()),
        "onnx_vs_tflite_max_logit": float(diff[..., 3:].max()),
        "onnx_vs_tflite_max_world": float(max(np.abs(g["Identity_4"] - r["Identity_4"]).max()
                                              for g, r in zip(got, ref))),
        "onnx_vs_tflite_max_heatmap": float(max(np.abs(g["Identity_3"] - r["Identity_3"]).max()
                                                for g, r in zip(got, ref))),
        "float16_initializers": n_half,
    }
    ref_json.write_text(json.dumps(report, indent=1) + "\n")
    if report["onnx_vs_tflite_max_px"] > MAX_PX or report["onnx_vs_tflite_max_logit"] > MAX_LOGIT:
        raise SystemExit(f"{name}: ONNX disagrees with TFLite beyond {MAX_PX} px / {MAX_LOGIT} logit")
    print(f"{name}: {n_half} float16 initializers, ONNX vs TFLite max {report['onnx_vs_tflite_max_px']:.2e} px, "
          f"logit {report['onnx_vs_tflite_max_logit']:.2e}", flush=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    raise SystemExit(main(sys.argv[1:]))
