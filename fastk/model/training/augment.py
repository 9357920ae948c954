"""What the trainer does to a batch before the model sees it: photometric jitter, a small shift, patches.

Why no flips: flip augmentation would erase the left/right asymmetry that area importance is meant to
reveal (the paper's lighting bias). Why no blur: spoof cues (halftone dots, a screen's sub-pixel grid)
live in the finest texture, and blurring them away teaches the model to do without them.

Every draw comes from the trainer's seeded generator and is made for the whole batch, then sliced to
a rank's rows (``rows`` of ``n``) under torchrun, so each image gets what it gets in one process.
"""

from __future__ import annotations


def augment(x, generator, rows: slice | None = None, n: int | None = None, colour: float = 0.0):
    """Photometric jitter and a small random shift (no flips: see the module docstring).

    ``colour`` > 0 adds a camera's white balance and tone curve: per-channel gains in ``1 +- colour``
    and a gamma in ``2 ** +-colour``, drawn per image (so a model cannot tell real from attack by the
    capture's colour cast alone; the demo set's cameras differ in exactly that).

    ``x`` may be ``rows`` of a batch of ``n`` images (a rank's share under torchrun): the jitter is
    drawn for all ``n`` and sliced, so every image gets what it gets when one process trains.
    """
    import torch

    b = n or x.shape[0]
    picked = rows or slice(None)
    gain = 1 + 0.2 * (torch.rand(b, 1, 1, 1, generator=generator)[picked] - 0.5)
    bias = 0.1 * (torch.rand(b, 1, 1, 1, generator=generator)[picked] - 0.5)
    x = (x * gain + bias).clamp(-1, 1)
    if colour:
        c = (torch.rand(b, 3, 1, 1, generator=generator)[picked] - 0.5) * 2 * colour
        g = 2 ** ((torch.rand(b, 1, 1, 1, generator=generator)[picked] - 0.5) * 2 * colour)
        y = ((x + 1) / 2).clamp(min=0) ** g * (1 + c)
        x = (y * 2 - 1).clamp(-1, 1)
    pad = max(1, x.shape[-1] // 16)
    dx, dy = (torch.randint(-pad, pad + 1, (2,), generator=generator)).tolist()
    return torch.roll(x, shifts=(dy, dx), dims=(2, 3))


def random_patches(x, side: int, generator, rows: slice | None = None, n: int | None = None):
    """One random ``side`` x ``side`` window of each image (drawn for all ``n`` images and sliced, as
    :func:`augment` does, so a rank's share gets what one process would)."""
    import torch

    b, full = n or x.shape[0], x.shape[-1]
    if side >= full:
        return x
    offsets = torch.randint(0, full - side + 1, (b, 2), generator=generator)[rows or slice(None)]
    return torch.stack([img[:, int(oy):int(oy) + side, int(ox):int(ox) + side] for img, (oy, ox) in zip(x, offsets)])
