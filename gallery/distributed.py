"""Data-parallel training on several devices or hosts, through the engines' own APIs.

On JAX, `keras.distribution.DataParallel` keeps a copy of the model on each device and splits every global
batch between them; across hosts, `keras.distribution.initialize` first joins the processes (`--coordinator
HOST:PORT --num-processes P --process-id I`) and each process feeds its own shard of the data. On TensorFlow,
`tf.distribute.MirroredStrategy` does the same on one host, and `MultiWorkerMirroredStrategy` across hosts
when TF_CONFIG (TensorFlow's own cluster description) is set. The batch size, learning rate and steps per epoch
are those of the global batch, as on one device. Only process 0 writes the model folder; the others keep their
resume state in a scratch folder of their own.
"""

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import tempfile
from pathlib import Path

from gallery.errors import UserError


@dataclasses.dataclass
class Cluster:
    devices: int = 1  # over all processes
    processes: int = 1
    process_id: int = 0
    scope: object = contextlib.nullcontext  # the DataParallel or tf.distribute scope; models are built inside it

    @property
    def chief(self):
        return self.process_id == 0

    @property
    def sharded_input(self):
        """Whether each process feeds its own part of every batch (JAX across hosts)."""
        import keras

        return self.processes > 1 and keras.backend.backend() == "jax"


CURRENT = Cluster()


def add_arguments(parser):
    parser.add_argument("--devices", type=int,
                        help="train data-parallel on this many devices, all processes together (0 = all there are; "
                             "default 1, or all with --coordinator)")
    parser.add_argument("--coordinator", help="JAX across hosts: HOST:PORT of process 0")
    parser.add_argument("--num-processes", type=int, default=1, help="JAX across hosts: how many processes")
    parser.add_argument("--process-id", type=int, default=0, help="JAX across hosts: this process's number, 0 first")


def setup(devices=None, coordinator=None, num_processes=1, process_id=0):
    """Set the distribution for the training that follows and return the `Cluster` (also kept as `CURRENT`)."""
    global CURRENT
    import keras

    if keras.backend.backend() == "jax":
        CURRENT = jax_cluster(devices, coordinator, num_processes, process_id)
    elif keras.backend.backend() == "tensorflow":
        if coordinator:
            raise UserError("--coordinator is for JAX; on TensorFlow, describe the hosts in TF_CONFIG.")
        CURRENT = tensorflow_cluster(devices)
    elif devices not in (None, 1):
        raise UserError(f"--devices needs the JAX or TensorFlow backend, not {keras.backend.backend()}.")
    return CURRENT


def jax_cluster(devices, coordinator, num_processes, process_id):
    import keras

    if coordinator:
        keras.distribution.initialize(coordinator, num_processes, process_id)
    available = keras.distribution.list_devices()
    count = len(available) if devices == 0 or (devices is None and coordinator) else devices or 1
    if count > len(available):
        raise UserError(f"--devices {count}, but JAX sees {len(available)}: {', '.join(available)}.")
    if coordinator and count < num_processes:
        raise UserError(f"--devices {count} is fewer than the {num_processes} processes: each needs one at least.")
    scope = contextlib.nullcontext
    if count > 1:  # `local_batches` gives each process its shard, so Keras must not shard again
        scope = keras.distribution.DataParallel(devices=available[:count], auto_shard_dataset=False).scope
    return Cluster(count, num_processes if coordinator else 1, process_id if coordinator else 0, scope)


def tensorflow_cluster(devices):
    import tensorflow as tf

    if "TF_CONFIG" in os.environ:
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        task = json.loads(os.environ["TF_CONFIG"]).get("task", {})
        workers = strategy.cluster_resolver.cluster_spec().num_tasks("worker")
        return Cluster(strategy.num_replicas_in_sync, workers, int(task.get("index", 0)), strategy.scope)
    gpus = tf.config.list_physical_devices("GPU")
    count = len(gpus) if devices == 0 else devices or 1
    if count <= 1:
        return Cluster()
    if gpus:
        if count > len(gpus):
            raise UserError(f"--devices {count}, but TensorFlow sees {len(gpus)} GPUs.")
        names = [f"/gpu:{index}" for index in range(count)]
    else:  # no GPU: split the CPU into logical devices (a simulation, for tests and dry runs)
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * count)
        names = [device.name for device in tf.config.list_logical_devices("CPU")]
    return Cluster(count, scope=tf.distribute.MirroredStrategy(names).scope)


def scoped(train):
    """Decorator for a family's `train`: builds and fits its model inside the current distribution's scope
    (the evaluation after it runs on one device)."""

    @functools.wraps(train)
    def train_in_scope(*args, **kwargs):
        with CURRENT.scope():
            return train(*args, **kwargs)

    return train_in_scope


def scratch_folder(out, process_id):
    """Where a process other than 0 writes: its own folder per model folder, stable across restarts for resume."""
    key = hashlib.sha256(str(Path(out or "default").resolve()).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"gallery-process-{process_id}" / key


def local_batches(x, y, batch_size, cluster=None):
    """This process's share of the training data and of each batch, trimmed so that every batch (the last one
    too) splits evenly over the devices."""
    cluster = cluster or CURRENT
    if batch_size % cluster.devices:
        raise UserError(f"--batch-size {batch_size} does not split over {cluster.devices} devices: "
                        f"use a multiple of {cluster.devices}.")
    if cluster.sharded_input:
        count = len(_first(x)) // cluster.processes
        x, y = (_select(part, slice(cluster.process_id, None, cluster.processes), count) for part in (x, y))
        batch_size //= cluster.processes
    local_devices = cluster.devices // cluster.processes
    keep = len(_first(x)) - len(_first(x)) % batch_size % local_devices
    return _select(x, slice(None), keep), _select(y, slice(None), keep), batch_size


def _first(data):
    """The first array of `data`: an array, a list of arrays (several inputs) or a dict of them (several outputs)."""
    if isinstance(data, dict):
        return next(iter(data.values()))
    return data[0] if isinstance(data, (list, tuple)) else data


def _select(data, rows, count):
    if isinstance(data, dict):
        return {key: value[rows][:count] for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [part[rows][:count] for part in data]
    return data[rows][:count]
