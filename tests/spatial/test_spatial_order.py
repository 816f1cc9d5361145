"""Rows are written in space order (Hilbert curve), so an area's rows share disk pages."""

from __future__ import annotations

import numpy as np

from dothi.spatial.geometry import spatial_order


def _walk(points: np.ndarray, order: np.ndarray) -> float:
    """Length of the path through the points in ``order``."""
    p = points[order]
    return float(np.hypot(*np.diff(p, axis=0).T).sum())


def test_neighbours_come_together() -> None:
    rng = np.random.default_rng(7)
    side = 64
    grid = np.array([(x, y) for x in range(side) for y in range(side)], dtype=float)
    shuffled = grid[rng.permutation(len(grid))] * 1e-4 + (106.7, 10.77)
    bounds = np.hstack([shuffled, shuffled])
    order = spatial_order(bounds)
    assert sorted(order.tolist()) == list(range(len(grid)))
    # A Hilbert walk over a full grid steps to an adjacent cell every time.
    steps = np.hypot(*np.diff(shuffled[order], axis=0).T)
    assert np.allclose(steps, 1e-4)
    assert _walk(shuffled, order) < _walk(shuffled, np.arange(len(grid))) / 20


def test_boxes_without_coordinates_go_last_and_small_inputs_are_kept() -> None:
    bounds = np.array(
        [
            [106.70, 10.77, 106.71, 10.78],
            [np.nan, np.nan, np.nan, np.nan],
            [106.60, 10.70, 106.60, 10.70],
        ]
    )
    order = spatial_order(bounds).tolist()
    assert sorted(order) == [0, 1, 2] and order[-1] == 1
    assert spatial_order(bounds[:1]).tolist() == [0]
    assert spatial_order(np.empty((0, 4))).tolist() == []
    same = np.tile([106.7, 10.77, 106.7, 10.77], (5, 1))
    assert spatial_order(same).tolist() == [0, 1, 2, 3, 4]
