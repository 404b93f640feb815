"""TensorFlow Serving: its model layout and config file, and its REST JSON rules, for testing exports here.

`tensorflow_model_server --model_config_file=models.config` serves folders laid out as
`BASE/<version>/saved_model.pb`; `serving_layout_folder` gives the next version's folder and
`write_model_config` the config naming every exported model. TF Serving's REST API takes
`{"instances": [...]}` (row format: one entry per example) or `{"inputs": ...}` (columnar),
with binary strings as `{"b64": "..."}`; `predict_json` applies those rules to a SavedModel
loaded here, so a request body can be checked without the server (which cannot be installed here).
"""

import base64
from pathlib import Path

from gallery.errors import UserError


def serving_layout_folder(base):
    """`base/<n>`: the next version folder under a model's base path (1 for a new model)."""
    versions = [int(path.name) for path in Path(base).glob("*") if path.is_dir() and path.name.isdigit()]
    return Path(base) / str(max(versions, default=0) + 1)


def write_model_config(bases, path):
    """A `models.config` (text protobuf) serving each {name: base path}; returns its path."""
    entries = "".join(f'  config {{\n    name: "{name}"\n    base_path: "{Path(base).resolve()}"\n'
                      f'    model_platform: "tensorflow"\n  }}\n' for name, base in sorted(bases.items()))
    Path(path).write_text("model_config_list {\n" + entries + "}\n")
    return Path(path)


def _decoded(value):
    """JSON → Python per TF Serving: {"b64": s} is bytes; lists and named inputs recurse."""
    if isinstance(value, dict):
        return base64.b64decode(value["b64"]) if set(value) == {"b64"} else {k: _decoded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decoded(item) for item in value]
    return value


def request_tensors(body, signature):
    """The signature's input tensors from a TF Serving REST body (`instances` or `inputs`)."""
    import tensorflow as tf

    specs = signature.structured_input_signature[1]
    if "instances" in body:
        rows = [_decoded(row) for row in body["instances"]]
        if len(specs) == 1:
            name = next(iter(specs))
            rows = [row[name] if isinstance(row, dict) else row for row in rows]
            columns = {name: rows}
        else:
            columns = {name: [row[name] for row in rows] for name in specs}
    elif "inputs" in body:
        inputs = _decoded(body["inputs"])
        columns = inputs if isinstance(inputs, dict) else {next(iter(specs)): inputs}
    else:
        raise UserError('A TF Serving request body has "instances" (rows) or "inputs" (columns).')
    missing = set(specs) - set(columns)
    if missing:
        raise UserError(f"The request lacks the signature's inputs {sorted(missing)}.")
    return {name: tf.constant(columns[name], dtype=spec.dtype) for name, spec in specs.items()}


def _json_value(array):
    """Tensor values as JSON: UTF-8 text for strings, numbers as lists."""
    values = array.tolist()
    decode = lambda item: item.decode("utf-8") if isinstance(item, bytes) else item  # noqa: E731

    def walk(item):
        return [walk(part) for part in item] if isinstance(item, list) else decode(item)

    return walk(values)


def predict_json(saved_model_dir, body, signature_name="serving_default"):
    """TF Serving's REST answer to `body` for a SavedModel: {"predictions": [...]} for rows, {"outputs": ...}
    for columns (one output: its values; several: a dict per row, or of columns)."""
    import tensorflow as tf

    try:
        import tensorflow_text  # noqa: F401  (registers the sentencepiece ops the text models' graphs use)
    except ImportError:  # image models need none
        pass
    signature = tf.saved_model.load(str(saved_model_dir)).signatures[signature_name]
    outputs = {name: _json_value(tensor.numpy()) for name, tensor in signature(**request_tensors(body, signature)).items()}
    if "instances" in body:
        if len(outputs) == 1:
            return {"predictions": next(iter(outputs.values()))}
        count = len(next(iter(outputs.values())))
        return {"predictions": [{name: values[i] for name, values in outputs.items()} for i in range(count)]}
    return {"outputs": next(iter(outputs.values())) if len(outputs) == 1 else outputs}
