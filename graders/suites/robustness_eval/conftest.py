"""Fixtures of the robustness_eval hidden suite: an independent affine oracle (the rotation
matrix from math, and a bilinear sampler with zero padding written in numpy), and a
rotation-sensitive classifier on noise images (its class lives in inside.py, so it can be sent
into the sandbox)."""

import math

import inside as models
import numpy as np
import pytest
import torch


def oracle_thetas(angles, scales) -> np.ndarray:
    """(K, 2, 3) float64: s * [[cos a, -sin a, 0], [sin a, cos a, 0]], angle-major."""
    out = []
    for a in angles:
        r = math.radians(a)
        for s in scales:
            out.append(
                [[s * math.cos(r), -s * math.sin(r), 0.0], [s * math.sin(r), s * math.cos(r), 0.0]]
            )
    return np.array(out, dtype=np.float64)


def oracle_sample(images: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Bilinear resampling of (N, C, H, W) images with one 2x3 theta, zero padding,
    align_corners=False: output pixel (i, j) at normalised p = ((2j+1)/W - 1, (2i+1)/H - 1)
    reads the input at theta @ (p, 1)."""
    N, C, H, W = images.shape
    xs = (2 * np.arange(W) + 1) / W - 1
    ys = (2 * np.arange(H) + 1) / H - 1
    gx, gy = np.meshgrid(xs, ys)
    sx = theta[0, 0] * gx + theta[0, 1] * gy + theta[0, 2]
    sy = theta[1, 0] * gx + theta[1, 1] * gy + theta[1, 2]
    px = ((sx + 1) * W - 1) / 2  # input pixel coordinates
    py = ((sy + 1) * H - 1) / 2
    x0, y0 = np.floor(px).astype(int), np.floor(py).astype(int)
    out = np.zeros((N, C, H, W))
    for dx in (0, 1):
        for dy in (0, 1):
            xi, yi = x0 + dx, y0 + dy
            w = (1 - np.abs(px - xi)) * (1 - np.abs(py - yi))
            inside = (xi >= 0) & (xi < W) & (yi >= 0) & (yi < H)
            vals = images[:, :, np.clip(yi, 0, H - 1), np.clip(xi, 0, W - 1)]
            out += np.where(inside, w, 0.0) * vals
    return out


@pytest.fixture
def sensitive_case(torch_gen):
    """``sensitive_case(n, size)`` -> (model, images, labels): noise images, a random linear
    10-class model, labels = its predictions on the untransformed images."""

    def make(n: int = 32, size: int = 12, channels: int = 1):
        images = torch.rand(n, channels, size, size, generator=torch_gen)
        model = models.Linear(channels * size * size, 10, torch_gen)
        with torch.no_grad():
            labels = model(images).argmax(dim=1)
        return model, images, labels

    return make


@pytest.fixture(scope="session")
def oracle():
    """The oracle as a namespace: thetas(angles, scales), sample(images, theta),
    accuracy(model, images, labels, angles, scales)."""

    def accuracy(model, images, labels, angles, scales):
        accs = []
        for theta in oracle_thetas(angles, scales):
            x = torch.from_numpy(oracle_sample(images.double().numpy(), theta)).to(images.dtype)
            with torch.no_grad():
                accs.append((model(x).argmax(dim=1) == labels).double().mean().item())
        return np.array(accs)

    class Oracle:
        thetas = staticmethod(oracle_thetas)
        sample = staticmethod(oracle_sample)

    Oracle.accuracy = staticmethod(accuracy)
    return Oracle
