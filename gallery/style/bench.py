"""Speed of style transfer: ms per image at 256/512/1024 px for each fast network and for the arbitrary-style
network (its style vector computed once, as the app keeps it; and the vector's own time), per optimisation step,
and seconds for a whole 512-px optimisation as users run it (300 steps, coarse to fine)."""

import time

import numpy as np

from gallery import cards
from gallery.benchmarks import median_seconds, print_table
from gallery.style.optimize import stylise_by_optimisation, stylise_coarse_to_fine
from gallery.style.predict import (
    arbitrary_folder,
    arbitrary_stylise,
    fast_stylise,
    load_transform,
    loss_network,
    shipped_styles,
    style_vector,
)

SIZES = (256, 512, 1024)


def run_benchmarks(model_dir=None, network="squeezenet", weights_path=None, repeats=3, verbose=True, command=""):
    folders = {model_dir.rstrip("/").split("/")[-1]: model_dir} if model_dir else shipped_styles()
    rng = np.random.default_rng(0)
    results = {}
    with_arbitrary = model_dir is None and arbitrary_folder().is_dir()  # every shipped network: the arbitrary one too
    for name, folder in folders.items():
        model = load_transform(str(folder))
        for size in SIZES:
            image = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
            results[f"{name}: ms per {size}×{size} image"] = 1000 * median_seconds(
                lambda: fast_stylise(model, image), repeats)
    if with_arbitrary:
        painting = rng.integers(0, 256, (512, 512, 3), dtype=np.uint8)
        vector = style_vector(painting)
        results["arbitrary: ms per style vector (painting, any size → 256×256)"] = 1000 * median_seconds(
            lambda: style_vector(painting), repeats)
        for size in SIZES:
            image = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
            results[f"arbitrary: ms per {size}×{size} image"] = 1000 * median_seconds(
                lambda: arbitrary_stylise(image, vector), repeats)
    extractor = loss_network(network, weights_path)
    for size in (256, 512):
        photo, style = (rng.integers(0, 256, (size, size, 3), dtype=np.uint8) for _ in range(2))
        steps = 20
        stylise_by_optimisation(extractor, photo, style, steps=2)  # build and compile once
        seconds = median_seconds(lambda: stylise_by_optimisation(extractor, photo, style, steps=steps), 1)
        results[f"optimisation: ms per step at {size}×{size} ({steps} steps, setup included)"] = 1000 * seconds / steps
    start = time.perf_counter()  # one run on the 512×512 pair above, as a user waits for it
    stylise_coarse_to_fine(extractor, photo, style, steps=300)
    results["optimisation: s per 512×512 result (300 steps, coarse to fine)"] = time.perf_counter() - start
    if verbose:
        print_table("style transfer", results)
    if with_arbitrary:  # the arbitrary card keeps its timings beside the fast ones'
        cards.update(arbitrary_folder(), benchmark={"command": command, "date": cards.now(), **cards.environment(),
                                                    **{k: v for k, v in results.items() if not k.startswith("optim")}})
    return results
