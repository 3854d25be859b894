"""A plain-language line on what the residual-vs-plain measurement shows so far.

:func:`verdict` reads only the numbers measured (the two nets' histories) and
says what they show: which net learns, and whether the plain net's gradients
fade toward the input (vanishing gradients) or not (then its trouble is
degradation, as the ResNet paper says for nets with BatchNorm).  No Qt.
"""

from __future__ import annotations

LEARNS_BY = 0.15  # accuracy gap that counts as "one net learns, the other lags"
FADES_BELOW = 0.1  # first-conv / last-conv gradient norm ratio that counts as vanishing


def gradient_ratio(grad_norms: list[list[float]]) -> float | None:
    """The first conv's gradient norm over the last conv's, in the latest row (None without data)."""
    if not grad_norms or not grad_norms[-1]:
        return None
    row = grad_norms[-1]
    return row[0] / row[-1] if row[-1] > 0 else None


def _gradients_line(plain) -> str:
    ratio = gradient_ratio(plain.grad_norms)
    if ratio is None:
        return "The plain net's last conv gets no gradient at all."
    first, last = plain.grad_norms[-1][0], plain.grad_norms[-1][-1]
    numbers = f"first conv {first:.2g}, last {last:.2g}"
    if ratio < FADES_BELOW:
        return f"The plain net's gradients fade toward the input ({numbers}): vanishing gradients."
    return f"The plain net's gradients do not vanish ({numbers}): the problem is degradation, not vanishing gradients."


def verdict(residual, plain, batchnorm: bool = True) -> str:
    """One or two sentences for the screen; ``residual``/``plain`` have ``accuracy``, ``loss`` and ``grad_norms``."""
    if not residual.accuracy or not plain.accuracy:
        ratio = gradient_ratio(plain.grad_norms)
        if ratio is None:
            return "Waiting for the first measurement …"
        return f"Before training: {_gradients_line(plain)}"
    r_acc, p_acc = residual.accuracy[-1], plain.accuracy[-1]
    r_loss, p_loss = residual.loss[-1], plain.loss[-1]
    scores = f"(training accuracy {r_acc:.0%} vs {p_acc:.0%}, loss {r_loss:.2f} vs {p_loss:.2f})"
    bn = "with BatchNorm" if batchnorm else "without BatchNorm"
    if r_acc - p_acc >= LEARNS_BY:
        return f"The residual net learns while the plain net lags {scores}, {bn}. {_gradients_line(plain)}"
    if p_acc - r_acc >= LEARNS_BY:
        return f"The plain net learns faster than the residual net so far {scores}, {bn}."
    if max(r_acc, p_acc) < 0.4:
        return f"Neither net has learnt much yet {scores}, {bn}. {_gradients_line(plain)}"
    return f"Both nets learn about equally so far {scores}, {bn}."
