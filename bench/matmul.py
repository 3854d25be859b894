"""The machine's measured float32 (and bfloat16) matrix-multiply rate, in GFLOP/s.

TensorFlow ``matmul`` of two 1024x1024 matrices (2 n^3 FLOP), best of several
repeats: the reference for "what fraction of the machine does training use".

    python -m bench.matmul
"""

from __future__ import annotations

import time

from bench.common import emit


def rate(dtype_name: str = "float32", n: int = 1024, reps: int = 10, repeats: int = 5) -> float:
    import tensorflow as tf

    dtype = getattr(tf, dtype_name)
    a = tf.cast(tf.random.normal((n, n)), dtype)
    b = tf.cast(tf.random.normal((n, n)), dtype)
    f = tf.function(lambda a, b: tf.linalg.matmul(a, b))
    f(a, b).numpy()
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(reps):
            r = f(a, b)
        r.numpy()
        best = min(best, (time.perf_counter() - t) / reps)
    return 2 * n**3 / best / 1e9


def main() -> None:
    emit({"float32_gflops": round(rate("float32"), 1), "bfloat16_gflops": round(rate("bfloat16"), 1)})


if __name__ == "__main__":
    main()
