"""The plain twin of the notebook's ResNet-50, and the pair the residual-vs-plain experiment trains.

The twin is :func:`core.model.resnet.ResNet50` with ``shortcuts=False``: the
same layers, names and order, less the Add layers, the shortcut convs
(``res*a_branch1``) and their BatchNorms (``bn*a_branch1``).  :func:`build_pair`
builds both with the same options and copies every weight the two share from
the residual net into the plain one, so they start from identical weights and
differ only in the shortcuts.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.model.resnet import ResNet50


def plain_twin(input_shape: Sequence[int] = (64, 64, 3), classes: int = 6, *, depth: int | None = None,
               batchnorm: bool = True, bn_momentum: float = 0.9, name: str = "Plain50"):
    """The notebook's ResNet-50 without its shortcuts (He init; see :func:`ResNet50` for the options)."""
    return ResNet50(input_shape, classes, depth=depth, batchnorm=batchnorm, bn_momentum=bn_momentum,
                    shortcuts=False, name=name)


def copy_shared_weights(source, target) -> list[str]:
    """Give every weighted layer of ``target`` the weights of ``source``'s layer of the same name; their names."""
    copied = []
    for layer in target.layers:
        if layer.weights:
            layer.set_weights(source.get_layer(layer.name).get_weights())
            copied.append(layer.name)
    return copied


def build_pair(input_shape: Sequence[int] = (64, 64, 3), classes: int = 6, *, depth: int | None = None,
               batchnorm: bool = True, bn_momentum: float = 0.9, seed: int = 0):
    """``(residual, plain)``: both built with the same options, the plain net starting from the residual's weights."""
    import keras

    keras.utils.set_random_seed(seed)
    residual = ResNet50(input_shape, classes, depth=depth, batchnorm=batchnorm, bn_momentum=bn_momentum,
                        name="ResNet50")
    plain = plain_twin(input_shape, classes, depth=depth, batchnorm=batchnorm, bn_momentum=bn_momentum)
    copy_shared_weights(residual, plain)
    return residual, plain
